# A partial clone missing a tree that a later commit changed: comparing that commit with its parent
# (as `git log -- .` does), git would fetch the tree from the promisor remote through
# core.sshCommand (protocol.*.allow does not stop that: it is the repository's own setting).
echo c > sub/c.txt &&
    git add sub/c.txt &&
    git -c user.name=t -c user.email=t@t commit -qm c &&
    tree=$(git rev-parse HEAD:sub) &&
    rm -f ".git/objects/$(echo "$tree" | cut -c1-2)/$(echo "$tree" | cut -c3-)" &&
    git config core.repositoryformatversion 1 &&
    git config extensions.partialClone origin &&
    git config remote.origin.url ssh://example.invalid/x.git &&
    git config remote.origin.promisor true &&
    git config protocol.allow always &&
    git config protocol.ssh.allow always &&
    git config core.sshCommand "'$EVIL' </dev/null"
