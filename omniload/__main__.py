from omniload.cli import main

main()
