git config diff.external "$EVIL"
