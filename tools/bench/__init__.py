"""The benchmarks behind `permits bench ocr|rules|inbox`, and the seeding they need."""
