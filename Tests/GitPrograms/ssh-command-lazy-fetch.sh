# A partial clone missing the tree of sub/: reading it, git would fetch it from the promisor
# remote through core.sshCommand (protocol.*.allow cannot stop that: it is the repository's own).
tree=$(git rev-parse HEAD:sub) &&
    rm -f ".git/objects/$(echo "$tree" | cut -c1-2)/$(echo "$tree" | cut -c3-)" &&
    git config core.repositoryformatversion 1 &&
    git config extensions.partialClone origin &&
    git config remote.origin.url ssh://example.invalid/x.git &&
    git config remote.origin.promisor true &&
    git config protocol.allow always &&
    git config protocol.ssh.allow always &&
    git config core.sshCommand "$EVIL"
