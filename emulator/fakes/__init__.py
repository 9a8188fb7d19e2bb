"""Behaviour engines shared by API families: the fake model, structured output, catalogue, ...

Engines hold no HTTP knowledge; resources translate wire shapes to engine calls and back.
"""
