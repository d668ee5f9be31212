from tui_ibhxh.cli import main

raise SystemExit(main())
