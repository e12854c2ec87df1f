"""What is kept between runs: the SQLite history."""
