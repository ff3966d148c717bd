fn main() {} // placeholder: the amoCRM worker writes the real measurement here
