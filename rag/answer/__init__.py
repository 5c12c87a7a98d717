"""Steps of the answer path that decide in code what code can decide."""
