"""The style and script of the tour's HTML page, inlined into it (no network, no CDN)."""

CSS = """
:root { --fg:#1d2330; --muted:#5b6478; --bg:#fbfbfd; --accent:#1f6feb; --hl:#fff3bf; }
* { box-sizing: border-box; }
body { font: 16px/1.5 system-ui, sans-serif; color: var(--fg); background: var(--bg);
       margin: 0; }
header { padding: 16px 24px; background: #10243e; color: #fff; }
header h1 { margin: 0 0 4px; font-size: 22px; }
header .meta { color: #c8d3e6; font-size: 14px; }
header button { margin-left: 6px; border: 1px solid #c8d3e6; background: transparent;
                color: #fff; border-radius: 4px; padding: 2px 10px; cursor: pointer; }
header button.on { background: #fff; color: #10243e; }
nav { padding: 8px 24px; border-bottom: 1px solid #dde1ea; font-size: 14px; }
nav a { margin-right: 10px; color: var(--accent); text-decoration: none; }
main { max-width: 1000px; margin: 0 auto; padding: 8px 24px 48px; }
section { border-bottom: 1px solid #e6e8ef; padding: 12px 0 20px; }
section h2 { font-size: 19px; margin: 12px 0 6px; }
table { border-collapse: collapse; margin: 10px 0; font-size: 13px;
        font-family: ui-monospace, monospace; }
caption { text-align: left; font-weight: 600; font-family: system-ui, sans-serif;
          padding-bottom: 4px; }
th, td { border: 1px solid #dde1ea; padding: 2px 8px; text-align: right; }
th { background: #eef1f7; }
tr.hl td { background: var(--hl); font-weight: 600; }
.widget { border: 1px solid #cfd6e4; border-radius: 6px; padding: 12px; margin: 12px 0;
          background: #fff; }
.widget h3 { margin: 0 0 8px; font-size: 15px; }
.tok { display: inline-block; padding: 4px 8px; margin: 2px; border-radius: 4px;
       border: 1px solid #cfd6e4; cursor: pointer; font-family: ui-monospace, monospace;
       position: relative; }
.tok.src { outline: 2px solid var(--accent); }
.tok small { display: block; font-size: 11px; opacity: 0.75; text-align: center; }
#attn-readout, #temp-readout { font-size: 14px; color: var(--muted); min-height: 1.5em; }
.bar { display: flex; align-items: center; font: 13px ui-monospace, monospace; margin: 1px 0; }
.bar .name { width: 140px; overflow: hidden; white-space: nowrap; }
.bar .fill { background: var(--accent); height: 14px; margin-right: 6px; }
.lang-pt [lang=en], .lang-en [lang=pt] { display: none; }
"""

JS = r"""
(function () {
  const D = JSON.parse(document.getElementById('tour-data').textContent);
  const fmt = (p) => (100 * p).toFixed(2) + '%';
  // Language toggle: both languages are in the page; one is shown.
  for (const b of document.querySelectorAll('button[data-lang]')) {
    b.addEventListener('click', () => {
      document.body.className = 'lang-' + b.dataset.lang;
      for (const o of document.querySelectorAll('button[data-lang]'))
        o.classList.toggle('on', o === b);
    });
  }
  // Attention: hover (or focus) a token to see where it looks in the chosen layer and head.
  const layerSel = document.getElementById('attn-layer');
  const headSel = document.getElementById('attn-head');
  const toks = Array.from(document.querySelectorAll('#attn-tokens .tok'));
  const readout = document.getElementById('attn-readout');
  D.attention.forEach((_, l) => {
    const o = document.createElement('option');
    o.value = l; o.textContent = l + ' (' + D.layers[l].kind + ')';
    layerSel.appendChild(o);
  });
  D.attention[0].forEach((_, h) => {
    const o = document.createElement('option'); o.value = h; o.textContent = h;
    headSel.appendChild(o);
  });
  layerSel.value = D.layer; headSel.value = D.head;
  function show(i) {
    const row = D.attention[+layerSel.value][+headSel.value][i];
    const parts = [];
    toks.forEach((t, j) => {
      const w = j <= i ? row[j] : 0;
      t.style.background = 'rgba(31,111,235,' + Math.min(1, w).toFixed(3) + ')';
      t.style.color = w > 0.5 ? '#fff' : '';
      t.classList.toggle('src', j === i);
      t.querySelector('small').textContent = j <= i ? fmt(w) : '·';
      if (j <= i) parts.push(D.pieces[j] + ' ' + fmt(w));
    });
    readout.textContent = D.pieces[i] + ' → ' + parts.join(' · ');
    readout.dataset.pos = i;
  }
  toks.forEach((t, i) => {
    t.addEventListener('mouseenter', () => show(i));
    t.addEventListener('focus', () => show(i));
  });
  const again = () => show(+(readout.dataset.pos || D.pos));
  layerSel.addEventListener('change', again); headSel.addEventListener('change', again);
  show(D.pos);
  // Temperature: softmax(logits / T) over the whole vocabulary (the highest logits exactly,
  // the tail from its histogram), redrawn as the slider moves.
  const slider = document.getElementById('temp');
  const bars = document.getElementById('temp-bars');
  const tread = document.getElementById('temp-readout');
  function redraw() {
    const T = Math.max(+slider.value, 0.01);
    const m = D.top[0].logit / T;
    let z = 0;
    const e = D.top.map((t) => { const v = Math.exp(t.logit / T - m); z += v; return v; });
    for (const [c, n] of D.tail) z += n * Math.exp(c / T - m);
    bars.innerHTML = '';
    let shown = 0;
    for (let i = 0; i < 12; i++) {
      const p = e[i] / z; shown += p;
      const row = document.createElement('div'); row.className = 'bar';
      row.dataset.piece = D.top[i].piece; row.dataset.p = p;
      const name = document.createElement('span'); name.className = 'name';
      name.textContent = D.top[i].piece;
      const fill = document.createElement('span'); fill.className = 'fill';
      fill.style.width = (400 * p).toFixed(1) + 'px';
      const val = document.createElement('span'); val.textContent = fmt(p);
      row.append(name, fill, val); bars.appendChild(row);
    }
    tread.textContent = 'T = ' + T.toFixed(2) + ' · top 12: ' + fmt(shown) +
      ' · other ' + (D.top.length + D.tail.reduce((a, b) => a + b[1], 0) - 12) + ': ' +
      fmt(1 - shown);
    tread.dataset.t = T;
  }
  slider.addEventListener('input', redraw);
  redraw();
})();
"""
