using System.Diagnostics;

namespace SemiSeg.Deploy.Tests;

/// <summary>Runs deploy/entrypoint.sh with /bin/sh, a stand-in `getent` and a stand-in semiseg that prints what it got.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class EntrypointScriptTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("semiseg-entrypoint-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private void Script(string name, string body)
    {
        string path = Path.Combine(dir, name);
        File.WriteAllText(path, "#!/bin/sh\n" + body + "\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    private (int ExitCode, string Stdout, string Stderr) Run(string? getentOutput, string? presetIp, params string[] args)
    {
        Script("getent", getentOutput is null ? "exit 2" : $"printf '%s\\n' '{getentOutput}'");
        Script("semiseg", "printf 'ip=%s\\n' \"${SEMISEG_ADVERTISED_IP:-}\"; for a in \"$@\"; do printf 'arg=%s\\n' \"$a\"; done");
        var start = new ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(Repo.Root, "deploy", "entrypoint.sh"));
        foreach (string a in args)
        {
            start.ArgumentList.Add(a);
        }
        start.Environment["PATH"] = dir + ":/usr/bin:/bin";
        start.Environment["SEMISEG_EXECUTABLE"] = Path.Combine(dir, "semiseg");
        start.Environment.Remove("SEMISEG_ADVERTISED_IP");
        if (presetIp is not null)
        {
            start.Environment["SEMISEG_ADVERTISED_IP"] = presetIp;
        }
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        Assert.True(process.WaitForExit(10_000), "entrypoint.sh did not finish");
        return (process.ExitCode, stdout, stderr.Result);
    }

    [Fact]
    public void Silo_AdvertisesTheContainersOwnAddress_AndPassesArgumentsUnchanged()
    {
        var (code, stdout, stderr) = Run("172.18.0.5      STREAM a1b2c3d4e5f6", null, "silo", "--role", "worker", "--work-dir", "/tmp/a b");
        Assert.Equal(0, code);
        Assert.Equal("ip=172.18.0.5\narg=silo\narg=--role\narg=worker\narg=--work-dir\narg=/tmp/a b\n", stdout);
        Assert.Contains("advertising 172.18.0.5", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Silo_KeepsAnAddressGivenExplicitly()
    {
        var (code, stdout, _) = Run(null, "10.1.2.3", "silo", "--role", "coordinator");
        Assert.Equal(0, code);
        Assert.StartsWith("ip=10.1.2.3\n", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void OtherSubcommands_AreNotTouched()
    {
        var (code, stdout, _) = Run(null, null, "submit", "sweeps/quickstart.yaml", "--watch");
        Assert.Equal(0, code);
        Assert.Equal("ip=\narg=submit\narg=sweeps/quickstart.yaml\narg=--watch\n", stdout);
    }

    [Theory]
    [InlineData("127.0.1.1       STREAM host")]
    [InlineData(null)]
    public void Silo_RefusesToAdvertiseLoopbackOrNothing(string? getentOutput)
    {
        var (code, stdout, stderr) = Run(getentOutput, null, "silo", "--role", "worker");
        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        Assert.Contains("Fix: set SEMISEG_ADVERTISED_IP", stderr, StringComparison.Ordinal);
    }
}
