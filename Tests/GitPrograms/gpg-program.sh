# A commit carrying a signature: with log.showSignature, `git log` runs gpg.program to verify it.
tree=$(git rev-parse 'HEAD^{tree}')
commit=$(printf 'tree %s\nauthor t <t@t> 1700000000 +0000\ncommitter t <t@t> 1700000000 +0000\ngpgsig -----BEGIN PGP SIGNATURE-----\n \n iQ==\n -----END PGP SIGNATURE-----\n\ninit\n' "$tree" |
    git hash-object -t commit -w --stdin) &&
    git update-ref HEAD "$commit" &&
    git config log.showSignature true &&
    git config gpg.program "$EVIL" &&
    git config gpg.ssh.program "$EVIL"
