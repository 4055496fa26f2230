/// The explorer's static files, compiled into the binary: the node serves them without a file
/// system layout to deploy, and a page and its script can never come from different versions.
enum Assets {
    struct Asset: Sendable {
        let path: String
        let contentType: String
        let text: String
    }

    static let cssPath = "/explorer/assets/explorer.css"
    static let jsPath = "/explorer/assets/explorer.js"

    static let all = [
        Asset(path: cssPath, contentType: "text/css; charset=utf-8", text: styleSheet),
        Asset(path: jsPath, contentType: "text/javascript; charset=utf-8", text: javaScript),
    ]

    static let styleSheet = """
        :root {
          color-scheme: light dark;
          --fg: #1b1f24; --muted: #59636e; --bg: #ffffff; --card: #f5f6f8; --line: #d8dce1;
          --accent: #0b5cad; --ok: #116329; --bad: #b42318;
        }
        @media (prefers-color-scheme: dark) {
          :root {
            --fg: #e6e8eb; --muted: #9aa4b1; --bg: #111418; --card: #1a1f25; --line: #2e353d;
            --accent: #6cb0ff; --ok: #56d364; --bad: #ff7b72;
          }
        }
        * { box-sizing: border-box; }
        [hidden] { display: none !important; }
        body {
          margin: 0; color: var(--fg); background: var(--bg);
          font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif;
        }
        a { color: var(--accent); }
        header.top {
          display: flex; flex-wrap: wrap; align-items: center; gap: .5rem 1rem;
          padding: .75rem 1rem; border-bottom: 1px solid var(--line); background: var(--card);
        }
        .brand { font-weight: 700; font-size: 1.1rem; color: inherit; text-decoration: none; }
        .origin { color: var(--muted); font-size: .9rem; overflow-wrap: anywhere; }
        .search { display: flex; gap: .5rem; flex: 1 1 18rem; max-width: 36rem; margin-left: auto; }
        .search input {
          flex: 1; min-width: 0; padding: .45rem .6rem; font: inherit;
          border: 1px solid var(--line); border-radius: 6px; background: var(--bg); color: inherit;
        }
        button {
          padding: .45rem .9rem; font: inherit; cursor: pointer; color: #fff;
          background: var(--accent); border: 0; border-radius: 6px;
        }
        main { max-width: 72rem; margin: 0 auto; padding: 1rem; }
        h1 { font-size: 1.5rem; margin: .5rem 0 1rem; }
        h2 { font-size: 1.15rem; margin: 1.75rem 0 .5rem; }
        code, pre, .hash { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .88em; }
        .hash { overflow-wrap: anywhere; }
        .scroll { overflow-x: auto; }
        table { border-collapse: collapse; width: 100%; }
        th, td { text-align: left; padding: .4rem .6rem; border-bottom: 1px solid var(--line); white-space: nowrap; }
        th { font-size: .85rem; color: var(--muted); font-weight: 600; }
        tbody tr:hover { background: var(--card); }
        .num { text-align: right; font-variant-numeric: tabular-nums; }
        .fields { display: grid; grid-template-columns: max-content 1fr; gap: .3rem 1.25rem; margin: 0; }
        .fields dt { color: var(--muted); }
        .fields dd { margin: 0; min-width: 0; overflow-wrap: anywhere; }
        @media (max-width: 40rem) {
          .fields { grid-template-columns: 1fr; gap: 0; }
          .fields dd { margin-bottom: .5rem; }
          .search { margin-left: 0; }
        }
        pre.note-text { background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: .75rem; overflow-x: auto; }
        details summary { cursor: pointer; color: var(--accent); margin-top: .5rem; }
        .note, .empty, footer { color: var(--muted); }
        ul.cosigners { margin: 0; padding-left: 1.2rem; }
        .more, .pager { margin: .75rem 0; }
        .problem { font-size: 1.05rem; }
        .verify, .receipt { border: 1px solid var(--line); border-radius: 8px; padding: .25rem 1rem .75rem; margin: 1rem 0; background: var(--card); }
        .receipt textarea {
          width: 100%; font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .85rem;
          padding: .5rem; border: 1px solid var(--line); border-radius: 6px; background: var(--bg); color: inherit;
        }
        output { font-weight: 700; }
        output[data-state="verified"] { color: var(--ok); }
        output[data-state="failed"] { color: var(--bad); }
        .notices { list-style: none; padding: 0; }
        .notice { border-left: 4px solid var(--bad); padding: .25rem .75rem; margin: .75rem 0; background: var(--card); }
        .notice p { margin: .25rem 0; }
        .measures { white-space: pre-wrap; overflow-wrap: anywhere; }
        .proof { padding-left: 2rem; }
        footer { max-width: 72rem; margin: 2rem auto 0; padding: 1rem; border-top: 1px solid var(--line); font-size: .9rem; }
        footer nav { display: flex; flex-wrap: wrap; gap: .5rem 1rem; }
        .sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }

        """
}
