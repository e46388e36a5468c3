"""The glossary: the terms of the Portuguese study notes, with their English names and a
one-line definition in each language."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Term:
    pt: str
    en: str
    def_pt: str
    def_en: str
    step: str | None = None  # the tour step that shows it


TERMS: list[Term] = [
    Term("token", "token", "Pedaço de texto (palavra, parte de palavra ou símbolo) que o "
         "modelo lê.", "A piece of text (word, part of a word or symbol) the model reads.",
         "tokens"),
    Term("tokenizador", "tokenizer", "Programa que corta o texto em tokens e os troca por "
         "ids.", "The program that cuts text into tokens and maps them to ids.", "tokens"),
    Term("ids de entrada (Input IDs)", "input ids", "O número de cada token no vocabulário.",
         "Each token's number in the vocabulary.", "tokens"),
    Term("vocabulário", "vocabulary", "Todos os tokens que o modelo conhece (262.144 no "
         "Gemma 3).", "Every token the model knows (262,144 in Gemma 3).", "tokens"),
    Term("embedding (vetor de embedding)", "embedding", "Vetor aprendido que representa um "
         "token; sentidos parecidos ficam próximos.", "A learned vector standing for a token; "
         "related meanings lie close.", "embedding"),
    Term("tabela de embeddings", "embedding table", "Matriz com uma linha de embedding por "
         "token do vocabulário.", "The matrix holding one embedding row per vocabulary token.",
         "embedding"),
    Term("codificação posicional", "positional encoding", "Informação sobre a posição de cada "
         "token, já que a atenção sozinha ignora a ordem.", "Information about each token's "
         "position, since attention alone ignores order.", "rope"),
    Term("RoPE (codificação posicional rotativa)", "RoPE (rotary position embedding)",
         "Gira consultas e chaves conforme a posição; o produto passa a depender da distância.",
         "Rotates queries and keys by position so their product depends on distance.", "rope"),
    Term("mecanismo de atenção", "attention mechanism", "Cada token pondera os outros tokens "
         "e mistura o que eles oferecem.", "Each token weighs the other tokens and mixes what "
         "they offer.", "attention"),
    Term("autoatenção (self-attention)", "self-attention", "Atenção em que consultas, chaves "
         "e valores vêm da mesma sequência.", "Attention whose queries, keys and values come "
         "from the same sequence.", "attention"),
    Term("consulta (Query, Q)", "query (Q)", "Vetor com o que um token procura nos outros.",
         "The vector of what a token looks for in the others.", "attention"),
    Term("chave (Key, K)", "key (K)", "Vetor com o que um token oferece para ser encontrado.",
         "The vector of what a token offers to be found by.", "attention"),
    Term("valor (Value, V)", "value (V)", "Vetor com o que um token repassa a quem presta "
         "atenção nele.", "The vector a token passes on to whoever attends to it.",
         "attention"),
    Term("scores de atenção", "attention scores", "Produtos q·k divididos por sqrt(d_k), "
         "antes do softmax.", "The q·k products divided by sqrt(d_k), before the softmax.",
         "attention"),
    Term("atenção mascarada (máscara causal)", "masked attention (causal mask)", "Impede um "
         "token de olhar tokens futuros, como exige um decoder.", "Stops a token from looking "
         "at later tokens, as a decoder must.", "attention"),
    Term("janela deslizante", "sliding window", "Limite de posições recentes que uma camada "
         "local enxerga (512 no Gemma 3).", "How many recent positions a local layer sees "
         "(512 in Gemma 3).", "attention"),
    Term("atenção multi-cabeça (Multi-Head Attention)", "multi-head attention", "Várias "
         "atenções em paralelo, cada uma capturando relações diferentes.", "Several attentions "
         "in parallel, each capturing different relations.", "multihead"),
    Term("cabeça de atenção", "attention head", "Uma das atenções paralelas, com suas "
         "próprias projeções.", "One of the parallel attentions, with its own projections.",
         "multihead"),
    Term("consultas agrupadas (GQA)", "grouped-query attention (GQA)", "Várias cabeças de "
         "consulta compartilham uma cabeça de chave/valor.", "Several query heads share one "
         "key/value head.", "multihead"),
    Term("Add & Norm", "add & norm", "Soma a saída da subcamada ao fluxo (residual) e "
         "normaliza.", "Adds the sub-layer's output to the stream (residual) and normalises.",
         "addnorm"),
    Term("conexão residual", "residual connection", "Somar a entrada de uma subcamada à sua "
         "saída, para a informação passar intacta.", "Adding a sub-layer's input to its output "
         "so information passes intact.", "addnorm"),
    Term("fluxo residual", "residual stream", "O vetor de cada posição que atravessa os "
         "blocos, somando o que cada um acrescenta.", "Each position's vector running through "
         "the blocks, summing what each adds.", "layers"),
    Term("normalização (RMSNorm)", "normalisation (RMSNorm)", "Divide um vetor pela raiz da "
         "média dos quadrados e aplica um ganho aprendido.", "Divides a vector by its root mean "
         "square and applies a learned gain.", "addnorm"),
    Term("rede feed-forward", "feed-forward network", "Camadas totalmente conectadas "
         "aplicadas a cada token sozinho, depois da atenção.", "Fully connected layers applied "
         "to each token alone, after attention.", "ffn"),
    Term("função de ativação", "activation function", "Função não linear entre camadas "
         "lineares (ReLU, sigmoid, GELU).", "A non-linear function between linear layers "
         "(ReLU, sigmoid, GELU).", "ffn"),
    Term("ReLU", "ReLU", "Ativação max(0, x): deixa passar o positivo, zera o negativo.",
         "The activation max(0, x): passes positives, zeroes negatives.", "ffn"),
    Term("GELU / GeGLU", "GELU / GeGLU", "GELU é um ReLU suave; GeGLU usa o GELU como portão "
         "de outra projeção.", "GELU is a smooth ReLU; GeGLU uses it to gate another "
         "projection.", "ffn"),
    Term("bloco transformer (camada)", "transformer block (layer)", "Atenção + feed-forward, "
         "cada uma com suas normalizações; o Gemma 3 270M empilha 18.", "Attention + "
         "feed-forward with their norms; Gemma 3 270M stacks 18.", "layers"),
    Term("logit lens", "logit lens", "Aplicar a projeção de saída a uma camada intermediária "
         "para ver o que ela preveria.", "Applying the output projection to a middle layer to "
         "see what it would predict.", "layers"),
    Term("transformação linear (camada de saída)", "linear projection (output layer)",
         "Produto do último vetor com cada linha de embedding: um score por token.", "The last "
         "vector times every embedding row: one score per token.", "output"),
    Term("logits", "logits", "Scores brutos de cada token do vocabulário, antes do softmax.",
         "The raw score of every vocabulary token, before the softmax.", "output"),
    Term("softmax", "softmax", "Transforma scores em probabilidades positivas que somam 1.",
         "Turns scores into positive probabilities that sum to 1.", "softmax"),
    Term("entropia", "entropy", "Medida da indecisão de uma distribuição, em bits.",
         "How undecided a distribution is, in bits.", "softmax"),
    Term("temperatura", "temperature", "Divide os logits: baixa afia a distribuição, alta "
         "achata.", "Divides the logits: low sharpens the distribution, high flattens it.",
         "sampling"),
    Term("top-k", "top-k", "Sorteia só entre os k tokens mais prováveis.", "Draws only among "
         "the k most likely tokens.", "sampling"),
    Term("top-p (amostragem de núcleo)", "top-p (nucleus sampling)", "Sorteia no menor "
         "conjunto cuja probabilidade soma p.", "Draws from the smallest set whose probability "
         "reaches p.", "sampling"),
    Term("amostragem (sorteio)", "sampling", "Escolher o próximo token ao acaso, segundo as "
         "probabilidades.", "Picking the next token at random, by its probability.", "sampled"),
    Term("decodificação gulosa", "greedy decoding", "Escolher sempre o token mais provável.",
         "Always picking the most likely token.", "sampled"),
    Term("cache KV", "KV cache", "Chaves e valores já calculados, guardados para não refazer "
         "o prefixo.", "Keys and values already computed, kept so the prefix is not redone.",
         "loop"),
    Term("geração autorregressiva", "autoregressive generation", "Cada token gerado volta "
         "como entrada para prever o seguinte.", "Each generated token goes back in to predict "
         "the next.", "loop"),
    Term("busca em feixe (beam search)", "beam search", "Mantém as k continuações mais "
         "prováveis em vez de uma só.", "Keeps the k most likely continuations instead of one.",
         "loop"),
    Term("decoder", "decoder", "Parte do transformer que gera a saída olhando só o passado; "
         "o Gemma e o GPT só têm decoder.", "The part that generates output looking only at the "
         "past; Gemma and GPT are decoder-only.", None),
    Term("encoder", "encoder", "Parte do transformer que lê a entrada inteira de uma vez "
         "(ex.: BERT).", "The part that reads the whole input at once (e.g. BERT).", None),
]
