from tui_ibhxh.entry import main

raise SystemExit(main())
