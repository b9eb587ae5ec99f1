from .s3 import main

main()
