"""As explicações do tour em português do Brasil. Os marcadores ({n}, {piece}, ...) recebem
os números da execução; texts_en.py tem as mesmas chaves e os mesmos marcadores em inglês."""

from __future__ import annotations

STEPS: dict[str, dict[str, str]] = {
    "tokens": {
        "title": "1. Tokens e ids",
        "body": (
            "O modelo nunca vê letras. Um tokenizador corta \"{text}\" em {n} tokens "
            "({n_words} palavras) e troca cada um pelo seu número (id) num vocabulário de "
            "{vocab} pedaços. O '▁' marca um espaço que faz parte do pedaço; palavras curtas e "
            "comuns viram um token só, as mais raras são quebradas em pedaços. O primeiro "
            "token, {bos}, é o modelo que acrescenta: ele marca o início de um texto."
        ),
    },
    "embedding": {
        "title": "2. Embeddings: uma linha por id",
        "body": (
            "Cada id escolhe uma linha de uma tabela de {vocab} linhas x {d} números "
            "({table_mb} MB em float32): essa linha é o embedding do token, um vetor aprendido "
            "no treinamento em que tokens de sentido parecido ficam próximos. As linhas são "
            "pequenas (norma ~1) porque a mesma tabela é reaproveitada no fim para pontuar o "
            "próximo token; por isso o Gemma as multiplica por sqrt({d}) = {scale}, para chegar "
            "à escala com que o resto da rede trabalha. As linhas escaladas são o fluxo "
            "residual que entra no bloco 0."
        ),
    },
    "rope": {
        "title": "3. Codificação posicional: girando consultas e chaves (RoPE)",
        "body": (
            "Sozinha, a atenção ignora a ordem: \"gato subiu\" e \"subiu gato\" pareceriam "
            "iguais. O Gemma não soma um vetor de posição; dentro de cada camada de atenção ele "
            "gira cada consulta e cada chave. Os {hd} números de uma cabeça formam {pairs} "
            "pares, e o par i gira posição x {base}^(-2i/{hd}) radianos: o par 0 gira rápido (um "
            "radiano por posição), os últimos quase não se mexem ({slowest_turns}° na posição "
            "{qpos}); assim os pares rápidos distinguem posições próximas e os lentos, "
            "posições distantes. Uma rotação não muda o comprimento (|q| {norm_q0} -> "
            "{norm_q1}). O produto escalar de dois vetores girados depende da diferença entre "
            "os ângulos, ou seja, só da DISTÂNCIA entre eles. Números reais da camada {layer}, "
            "cabeça {head}: a consulta de '{qpiece}' (posição {qpos}) e a chave de '{kpiece}' "
            "(posição {kpos}) dão q·k = {dot_before} antes da rotação e {dot_after} depois, o "
            "valor que a atenção usa. A segunda tabela leva os dois vetores para outros pontos "
            "de um texto: a mesma distância ({dist}) dá sempre o mesmo produto; outra "
            "distância o muda."
        ),
    },
    "attention": {
        "title": "4. Uma cabeça de atenção: Q, K, V, scores, máscara, softmax",
        "body": (
            "Camada {layer}, cabeça {head}, vista a partir de '{piece}' (posição {qpos}). Cada "
            "token gera, a partir do seu fluxo, três vetores de {hd} números: uma consulta Q (o "
            "que ele procura), uma chave K (o que ele oferece) e um valor V (o que ele "
            "repassa). O Q de '{piece}' começa com {q_first}. O score contra cada token é o "
            "produto escalar q·k, dividido por sqrt(d_k) = sqrt({hd}) = {sqrt_dk} (o motor "
            "multiplica q por {scale} antes) para que a soma de {hd} produtos não sature o "
            "softmax: softmax(QK^T/sqrt(d_k))V. A máscara causal põe -inf em todo token "
            "posterior ({n_future} depois deste): um decoder não pode ler o futuro. Esta é uma "
            "camada {kind}; as camadas locais também só enxergam as últimas {window} posições "
            "(janela deslizante), o que esconde {hidden_by_window} destes {n} tokens. O "
            "softmax transforma os scores em pesos que somam 1: '{top_piece}' recebe "
            "{top_weight}. (O <bos> costuma levar quase todo o peso: um \"sumidouro de "
            "atenção\", onde as cabeças estacionam a atenção quando nada mais importa.) A saída "
            "é a mistura ponderada dos vetores V: {mixed_first}. A matriz mostra a cabeça "
            "inteira: as linhas são as consultas, '·' é mascarado."
        ),
    },
    "multihead": {
        "title": "5. Atenção multi-cabeça com chaves e valores compartilhados",
        "body": (
            "A camada {layer} tem {heads} cabeças, cada uma com suas próprias consultas, então "
            "cada uma pode procurar uma coisa diferente: aqui elas distribuem a atenção de "
            "'{piece}' de formas diferentes ({distinct_tops} tokens preferidos distintos). O "
            "Gemma 3 usa atenção com consultas agrupadas: as {heads} cabeças de consulta "
            "compartilham {kv_heads} cabeça de chave/valor ({group} consultas por K/V), o que "
            "deixa o cache KV {kv_saving}x menor com pouca perda. As {heads} misturas de {hd} "
            "números são concatenadas ({concat}) e projetadas de volta para {d} pela matriz "
            "de saída W_o (norma {mixed_norm} -> {proj_norm})."
        ),
    },
    "addnorm": {
        "title": "6. Add & Norm: o fluxo residual e o RMSNorm",
        "body": (
            "Cada bloco SOMA o seu resultado ao fluxo que recebeu (uma conexão residual): a "
            "informação pode atravessar os 18 blocos intacta, e o treinamento fica estável. A "
            "NORMALIZAÇÃO aqui é o RMSNorm: divide o vetor pela raiz da média dos quadrados "
            "({rms} para '{piece}' entrando na camada {layer}, ou seja, multiplica por "
            "{inv_rms}) e depois multiplica cada uma das {d} características por um ganho "
            "aprendido; ao contrário do LayerNorm, não há média nem viés. O Gemma normaliza "
            "duas vezes: uma pré-normalização no que a subcamada lê e uma pós-normalização no "
            "que ela devolve, antes da soma; o fluxo em si nunca é normalizado: "
            "norma {x_norm} na entrada, {added_norm} somada, {mid_norm} depois da soma."
        ),
    },
    "ffn": {
        "title": "7. A feed-forward com portão (GeGLU)",
        "body": (
            "Depois que a atenção mistura informação entre os tokens, a feed-forward trabalha "
            "em cada token sozinho. A do Gemma tem portão: duas projeções recebem o fluxo "
            "normalizado ({d} -> {f}): um portão e um sinal 'up'; o GELU (um ReLU suave) do "
            "portão vezes o sinal up decide quanto passa em cada uma das {f} unidades, e uma "
            "terceira projeção traz o resultado de volta para {d}. Para '{piece}' na camada "
            "{layer}, {closed} unidades ({closed_pct}) têm portão negativo, que o GELU espreme "
            "para perto de zero; a tabela mostra as unidades que mais contribuíram. O resultado é "
            "pós-normalizado (norma {proj_norm} -> {added_norm}) e somado: o fluxo sai do "
            "bloco com norma {out_norm}."
        ),
    },
    "layers": {
        "title": "8. O fluxo residual pelas {layers} camadas (logit lens)",
        "body": (
            "O mesmo bloco se repete {layers} vezes, com pesos diferentes; os blocos {globals} "
            "(contando do 0) são globais (enxergam o texto inteiro), os outros são locais "
            "(janela deslizante). Para espiar o que o fluxo significa no meio do caminho, "
            "aplica-se a ele a normalização final e a projeção de saída do modelo depois de "
            "cada bloco (uma \"logit lens\"): o que o modelo preveria depois de '{piece}' se "
            "parasse ali. As primeiras camadas quase só repetem o token atual ou ruído; a "
            "resposta final '{final_piece}' fica no topo depois de {first_layer} dos {layers} "
            "blocos. A norma do fluxo cresce de {norm0} para {norm_last}."
        ),
    },
    "output": {
        "title": "9. Normalização final e projeção sobre {vocab} tokens",
        "body": (
            "Só a última posição prevê o próximo token. O seu fluxo (norma {res_norm}) passa "
            "por um RMSNorm final (norma {final_norm}) e depois por um produto escalar com cada "
            "uma das {vocab} linhas de embedding, a mesma tabela da entrada (pesos "
            "compartilhados): {mults} milhões de multiplicações, que dão um score (logit) por "
            "token. Os logits vão de {min} a {max} (média {mean}); o maior é '{top_piece}'."
        ),
    },
    "softmax": {
        "title": "10. Softmax: scores viram probabilidades",
        "body": (
            "O softmax transforma os {vocab} logits em probabilidades: p = exp(z - máx) / soma "
            "de exp(z - máx); subtrair o máximo não muda o resultado e impede que o exp "
            "estoure. '{top_piece}' recebe {top_p}; os dez tokens mais prováveis somam "
            "{top10}. A entropia, {entropy} bits, diz o quanto o modelo está indeciso: é como "
            "escolher entre {perplexity} tokens igualmente prováveis."
        ),
    },
    "sampling": {
        "title": "11. Temperatura, top-k e top-p",
        "body": (
            "Antes do sorteio, a distribuição é remodelada. A temperatura divide os logits: "
            "abaixo de 1 ela afia (o favorito ganha mais vezes), acima de 1 achata, e 0 "
            "significa sempre o mais provável (guloso). O top-k fica com os k tokens mais "
            "prováveis ({kept_k} de {vocab}); o top-p fica com o menor conjunto cuja "
            "probabilidade chega a p ({kept_p} tokens aqui); o que sobra é renormalizado para "
            "somar 1. Este tour usa temperatura {temperature}, top_k {top_k}, top_p {top_p} "
            "(definidos por você: {user_set}; mude com -o temperature=... -o top_k=... -o "
            "top_p=...). A probabilidade de '{first}' passa de {p_first} -> {p_first_t} -> "
            "{p_first_final}. A segunda tabela mostra só a temperatura."
        ),
    },
    "sampled": {
        "title": "12. O token sorteado",
        "body": (
            "Um número aleatório (semente {seed}, para o tour se repetir) cai na distribuição "
            "final em '{piece}' (id {id}): o modelo lhe deu {p_model}, os filtros {p_final}. A "
            "decodificação gulosa teria escolhido '{greedy}' ('{greedy}' {same} '{piece}'). O "
            "texto agora é: {text}"
        ),
    },
    "loop": {
        "title": "13. O laço: o token volta para a entrada",
        "body": (
            "Gerar texto é este laço: acrescentar o token e rodar o modelo de novo. Só a nova "
            "posição atravessa os 18 blocos; as chaves e os valores das {n} posições "
            "anteriores esperam no cache KV (preenchido pela passada que você acabou de "
            "seguir), então cada token novo custa uma posição, não o texto inteiro. Aqui o laço "
            "rodou {extra} vezes ({positions} posições no cache): {text}. Ele para num token "
            "de fim ou num limite de tamanho. A busca em feixe (beam search) guarda várias "
            "continuações candidatas em vez de uma (llmcli next --beam)."
        ),
    },
}

LABELS: dict[str, str] = {
    "tokens": "Tokens", "pos": "pos", "piece": "pedaço", "id": "id", "bytes": "bytes",
    "embedding_rows": "Linhas de embedding (primeiros números de 640)", "row": "linha",
    "norm": "norma", "scaled_row": "x sqrt(d)",
    "rope_pairs": "Pares da consulta e da chave, antes e depois do RoPE", "pair": "par",
    "angle_q": "ângulo° (q)", "q_before": "q antes", "q_after": "q depois",
    "k_before": "k antes", "k_after": "k depois",
    "rope_moves": "O mesmo q e o mesmo k em outras posições", "qpos": "pos q",
    "kpos": "pos k", "distance": "distância", "q_dot_k": "q·k",
    "head_scores": "Scores da consulta escolhida", "k": "k (primeiros números)",
    "scaled": "/ sqrt(d_k)", "masked": "mascarado", "softmax": "softmax",
    "head_matrix": "A cabeça inteira (% de peso; linhas: consultas)",
    "heads_weights": "Pesos de cada cabeça (%)", "head": "cabeça", "kv_head": "cabeça K/V",
    "top": "maior", "rmsnorm_features": "RMSNorm nas primeiras características",
    "feature": "característica", "x": "x", "x_over_rms": "x / rms", "gain": "ganho",
    "result": "resultado", "residual_add": "Tamanhos ao longo do bloco", "vector": "vetor",
    "rms": "rms", "ffn_units": "As unidades ocultas que mais contribuíram", "unit": "unidade",
    "gate": "portão", "gelu_gate": "GELU(portão)", "up": "up", "product": "produto",
    "logit_lens": "Logit lens na última posição", "after_blocks": "blocos feitos",
    "kind": "tipo", "lens_top": "topo da lente", "p": "p", "p_final": "p(final)",
    "top_logits": "Os maiores logits", "rank": "#", "logit": "logit",
    "top_probs": "Os tokens mais prováveis", "exp_shift": "exp(z - máx)",
    "sampling_stages": "Probabilidade depois de cada etapa", "temperature": "temperatura",
    "top_k": "top-k", "top_p": "top-p", "temperature_sweep": "Só a temperatura",
    "top10": "10 maiores", "loop_tokens": "Tokens do laço", "step": "passo",
    "so_far": "gerado até agora",
}

UI: dict[str, str] = {
    "step_of": "passo {i} de {n}",
    "keys": "→/n próximo · ←/p voltar · ↑↓ rolar · g glossário · q sair",
    "enter": "Enter: próximo · b: voltar · q: sair",
    "glossary": "Glossário (anotações em português ↔ inglês)",
    "model_line": "{model} · \"{text}\" · camada {layer}, cabeça {head}, token '{piece}'",
    "end": "Fim do tour.",
}
