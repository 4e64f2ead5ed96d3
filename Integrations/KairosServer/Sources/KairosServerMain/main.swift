import KairosServerCommand

await KairosServerCommand.runAsRoot()
