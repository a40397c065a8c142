git config core.pager "$EVIL" && for c in log status ls-files ls-tree rev-parse diff; do git config pager.$c "$EVIL"; done
