"""Inputs given beside a prompt: fragments (-f, --sf: files, folders, globs, URLs, stdin, as
labelled text) and attachments (-a: images, PDFs, audio, as bytes of a sniffed type).

Everything here is bounded (limits.py): a file, a folder, a download and stdin each have a size
or count cap and a download has timeouts and an overall deadline, so no input can hang the
process or fill its memory.
"""
