"""Build a pretraining corpus from raw English text: documents in, PTB-tokenized shards out.

``sources`` reads documents from the supported layouts, ``tokenize`` splits and
tokenizes them (nltk's Punkt, trained on the input itself, and the Treebank word
tokenizer), ``exclude`` reads the task sentences to decontaminate against, ``build``
writes the shards, the held-out file and the counts; ``cli`` is ``elmo-eval corpus``.
"""
