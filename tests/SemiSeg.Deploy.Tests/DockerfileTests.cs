namespace SemiSeg.Deploy.Tests;

public class DockerfileTests
{
    [Theory]
    [InlineData("deploy/Dockerfile", "cpu")]
    [InlineData("deploy/Dockerfile.cuda", "cuda")]
    public void Image_PublishesTheCliWithItsBackend_OnAspNetRuntime_AsNonRoot(string path, string backend)
    {
        var dockerfile = Dockerfile.Parse(Repo.Read(path));
        var froms = dockerfile.Instructions.Where(i => i.Keyword == "FROM").ToList();
        var final = dockerfile.Instructions.Where(i => i.Stage == dockerfile.FinalStage).ToList();

        Assert.StartsWith("mcr.microsoft.com/dotnet/aspnet:10.0", froms[^1].Arguments, StringComparison.Ordinal);
        Assert.Contains(froms, f => f.Arguments.StartsWith("mcr.microsoft.com/dotnet/sdk:10.0", StringComparison.Ordinal));
        var publish = Assert.Single(dockerfile.Instructions, i => i.Keyword == "RUN" && i.Arguments.Contains("dotnet publish", StringComparison.Ordinal));
        Assert.Contains("dotnet publish src/SemiSeg.Cli -c Release", publish.Arguments, StringComparison.Ordinal);
        Assert.Contains("-o /app", publish.Arguments, StringComparison.Ordinal);
        Assert.Contains($"-p:TorchBackend={backend}", publish.Arguments, StringComparison.Ordinal);
        Assert.Equal(backend == "cuda", dockerfile.Instructions.Any(i => i.Arguments.Contains("TorchBackend=cuda", StringComparison.Ordinal)));

        // The restore layer comes before the sources: only props/targets and project files are copied ahead of it.
        var build = dockerfile.Instructions.Where(i => i.Stage == publish.Stage).ToList();
        int restore = build.FindIndex(i => i.Keyword == "RUN" && i.Arguments.Contains("dotnet restore", StringComparison.Ordinal));
        int sources = build.FindIndex(i => i.Keyword == "COPY" && i.Arguments == "src/ src/");
        Assert.InRange(restore, 0, sources - 1);
        Assert.All(build.Take(restore).Where(i => i.Keyword == "COPY"), c => Assert.Matches(@"^(--from=projects |(\S+\.(props|targets)|\.editorconfig) )", c.Arguments));
        var projects = dockerfile.Instructions.Where(i => i.Stage == 0).Select(i => i.Arguments).ToList();
        Assert.Contains("find src -type f ! -name '*.csproj' -delete", projects);

        Assert.Contains(final, i => i.Keyword == "COPY" && i.Arguments == "sweeps/ /app/sweeps/");
        Assert.Contains(final, i => i.Keyword == "COPY" && i.Arguments.StartsWith("--from=fashion-mnist /usr/share/datasets/fashion-mnist/", StringComparison.Ordinal));
        var user = Assert.Single(final, i => i.Keyword == "USER");
        Assert.DoesNotContain(user.Arguments, new[] { "root", "0" });
        Assert.Equal("/app/entrypoint.sh", dockerfile.FinalEntrypoint());
        Assert.Contains(final, i => i.Keyword == "COPY" && i.Arguments == "--chmod=755 deploy/entrypoint.sh /app/entrypoint.sh");
    }

    [Fact]
    public void DockerIgnore_KeepsBuildOutputsToolsRunsAndGitOutOfTheContext()
    {
        var ignore = DockerIgnore.Parse(Repo.Read(".dockerignore"));
        foreach (string path in new[] { "src/SemiSeg.Cli/bin/Release/semiseg.dll", "src/SemiSeg.Cli/obj/project.assets.json", ".tools/x",
                     "runs/quickstart/result.json", "node_modules/azurite/package.json", "x/node_modules/y", ".git/HEAD", ".git", "data/cityscapes" })
        {
            Assert.True(ignore.Excludes(path), path);
        }
        foreach (string path in new[] { "src/SemiSeg.Cli/Program.cs", "sweeps/quickstart.yaml", "deploy/entrypoint.sh", "Directory.Build.props", ".editorconfig" })
        {
            Assert.False(ignore.Excludes(path), path);
        }
    }

    [Fact]
    public void DockerIgnore_LaterExceptionsWin()
    {
        var ignore = DockerIgnore.Parse("*.md\n!README.md\n**/bin\n");
        Assert.True(ignore.Excludes("NOTES.md"));
        Assert.False(ignore.Excludes("README.md"));
        Assert.True(ignore.Excludes("a/b/bin/c.dll"));
        Assert.False(ignore.Excludes("a/binary/c.dll"));
    }

    [Fact]
    public void Parse_JoinsContinuationLines_SkipsComments_AndReadsCopyFlags()
    {
        var dockerfile = Dockerfile.Parse("""
            # syntax=docker/dockerfile:1
            FROM base AS one
            RUN apt-get update \
            # a comment inside a continuation
             && apt-get install -y x
            FROM other
            COPY --from=one --chmod=755 /a /b
            COPY ["with space.txt", "b", "/dest/"]
            """);
        Assert.Equal(["FROM", "RUN", "FROM", "COPY", "COPY"], dockerfile.Instructions.Select(i => i.Keyword));
        Assert.Equal("apt-get update   && apt-get install -y x", dockerfile.Instructions[1].Arguments);
        Assert.Equal(1, dockerfile.FinalStage);
        Assert.Equal("one", dockerfile.Copies[0].Flags["from"]);
        Assert.Equal("755", dockerfile.Copies[0].Flags["chmod"]);
        Assert.False(dockerfile.Copies[0].FromBuildContext);
        Assert.Equal(["with space.txt", "b"], dockerfile.Copies[1].Sources);
        Assert.Equal("/dest/", dockerfile.Copies[1].Destination);
    }

    [Fact]
    public void BrokenDockerfile_MissingIgnoredOrUnknownStageSources_AreReportedWithFileAndLine()
    {
        string dir = Directory.CreateTempSubdirectory("semiseg-deploy-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(dir, "runs"));
            File.WriteAllText(Path.Combine(dir, "runs", "x.json"), "{}");
            File.WriteAllText(Path.Combine(dir, "present.txt"), "");
            File.WriteAllText(Path.Combine(dir, ".dockerignore"), "runs/\n");
            File.WriteAllText(Path.Combine(dir, "Dockerfile"), """
                FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
                COPY present.txt missing.txt /src/
                COPY runs/x.json /src/
                FROM mcr.microsoft.com/dotnet/aspnet:10.0
                COPY --from=biuld /app /app
                """);
            string compose = "services:\n  app:\n    build: .\n    command: [\"validate\", \"m.yaml\"]\n";

            var errors = DeployChecker.Check(dir, compose);

            Assert.Contains("Dockerfile:2: COPY source 'missing.txt' does not exist in the build context", errors);
            Assert.DoesNotContain(errors, e => e.Contains("'present.txt'", StringComparison.Ordinal));
            Assert.Contains("Dockerfile:3: COPY source 'runs/x.json' is excluded by .dockerignore", errors);
            Assert.Contains(errors, e => e.StartsWith("Dockerfile:5: COPY --from=biuld names no stage", StringComparison.Ordinal));
            Assert.Contains("service 'app': command: 'm.yaml' (/m.yaml in the container) is neither copied into the image nor bind-mounted", errors);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
