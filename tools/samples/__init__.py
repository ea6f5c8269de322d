"""Synthetic applications with known truth: scanned forms (typed or handwritten), identity card
copies and supporting documents, for tests, the demo and the OCR benchmark."""
