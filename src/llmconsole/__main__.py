from llmconsole.cli import main

raise SystemExit(main())
