"""Image builds on the host (BuildImage, CancelImageBuild): the docker CLI that can build, the build's context
and temporary files, its output published while it runs, and the build-then-push pipeline."""
