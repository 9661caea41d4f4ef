using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SemiSeg.Client;
using SemiSeg.Clustering;
using SemiSeg.Silo;

namespace SemiSeg.Orchestration.Tests;

/// <summary>
/// Mutual TLS on real silo hosts (the code path of <c>semiseg silo</c>) with certificates made here: a client with a
/// trusted certificate works; a plain client, a client with a self-signed certificate the silo does not trust, and a
/// client that does not trust the silo are refused; two silos with certificates of one CA form a cluster.
/// </summary>
public sealed class TlsClusterTests : IDisposable
{
    private const string Password = "test-pfx-password";
    private readonly string scratch = Directory.CreateTempSubdirectory("semiseg-tls-").FullName;

    public void Dispose() => Directory.Delete(scratch, recursive: true);

    [Fact]
    public async Task WithASharedCertificateOnlyClientsPresentingItConnect()
    {
        var shared = Pfx("shared", SelfSigned("CN=semiseg-cluster"));
        var strangers = Pfx("stranger", SelfSigned("CN=semiseg-cluster")); // same name, different key: not trusted
        var silo = await StartSilo("shared", new TlsSettings { CertificatePath = shared, CertificatePassword = Password });
        try
        {
            var gateway = silo.Settings;
            await using (var trusted = await Connect(gateway, new TlsSettings { CertificatePath = shared, CertificatePassword = Password }))
            {
                Assert.Empty(await trusted.Client.ListSweepsAsync());
            }
            await AssertRefused(gateway, new TlsSettings());
            // A stranger that trusts the silo's certificate: only the silo can refuse it.
            using var sharedCertificate = X509CertificateLoader.LoadPkcs12FromFile(shared, Password);
            await AssertRefused(gateway, new TlsSettings
            {
                CertificatePath = strangers, CertificatePassword = Password, AllowedThumbprints = [sharedCertificate.GetCertHashString(HashAlgorithmName.SHA256)],
            });

            // No dashboard, no Kestrel: the silo opens its silo and gateway ports only.
            Assert.Null(silo.Host.Services.GetService<Microsoft.AspNetCore.Hosting.Server.IServer>());
        }
        finally
        {
            await Stop(silo.Host);
        }
    }

    [Fact]
    public async Task WithACertificateAuthoritySilosFormAClusterAndClientsMustTrustTheSiloToo()
    {
        using var ca = Authority("CN=semiseg test CA");
        string caFile = Path.Combine(scratch, "ca.pem");
        await File.WriteAllTextAsync(caFile, ca.ExportCertificatePem());
        TlsSettings Issued(string name) => new() { CertificatePath = Pfx(name, Issue(ca, $"CN={name}")), CertificatePassword = Password, CaPath = caFile };

        var first = await StartSilo("ca", Issued("silo-a"));
        (SiloSettings Settings, IHost Host)? second = null;
        try
        {
            second = await StartSilo("ca", Issued("silo-b"), primary: first.Settings.SiloPort);
            var management = first.Host.Services.GetRequiredService<IClusterClient>().GetGrain<IManagementGrain>(0);
            await WaitFor(async () => (await management.GetHosts(onlyActive: true)).Count == 2, "the second silo to join over TLS");
            await using (var client = await Connect(first.Settings, Issued("client")))
            {
                Assert.Empty(await client.Client.ListSweepsAsync());
            }

            // A client whose certificate another CA issued (it trusts the silo's CA, so only the silo can refuse it), and a
            // client that trusts another CA (so not the silo).
            using var other = Authority("CN=other CA");
            string otherCa = Path.Combine(scratch, "other-ca.pem");
            await File.WriteAllTextAsync(otherCa, other.ExportCertificatePem());
            await AssertRefused(first.Settings, new TlsSettings { CertificatePath = Pfx("intruder", Issue(other, "CN=intruder")), CertificatePassword = Password, CaPath = caFile });
            await AssertRefused(first.Settings, Issued("wary") with { CaPath = otherCa });

            // Pinning by thumbprint instead of a CA.
            var pinned = Issued("pinned");
            using var silo = X509CertificateLoader.LoadPkcs12FromFile(Path.Combine(scratch, "silo-a.pfx"), Password);
            await using (var client = await Connect(first.Settings, pinned with { CaPath = null, AllowedThumbprints = [silo.GetCertHashString(HashAlgorithmName.SHA256)] }))
            {
                Assert.Empty(await client.Client.ListSweepsAsync());
            }
        }
        finally
        {
            if (second is { } s)
            {
                await Stop(s.Host);
            }
            await Stop(first.Host);
        }
    }

    [Fact]
    public void BadTlsSettingsNameTheOptionAndTheFix()
    {
        Assert.StartsWith("--tls-certificate: cannot read", Assert.Throws<ArgumentException>(() => new TlsSettings { CertificatePath = Path.Combine(scratch, "missing.pfx") }.Load()).Message, StringComparison.Ordinal);
        string pfx = Pfx("good", SelfSigned("CN=x"));
        Assert.StartsWith("--tls-certificate: cannot read", Assert.Throws<ArgumentException>(() => new TlsSettings { CertificatePath = pfx, CertificatePassword = "wrong" }.Load()).Message, StringComparison.Ordinal);
        Assert.StartsWith("--tls-allowed-thumbprints: 'XYZ' is not", Assert.Throws<ArgumentException>(() => new TlsSettings { CertificatePath = pfx, CertificatePassword = Password, AllowedThumbprints = ["xyz"] }.Load()).Message, StringComparison.Ordinal);
        Assert.StartsWith("--tls-ca: cannot read", Assert.Throws<ArgumentException>(() => new TlsSettings { CertificatePath = pfx, CertificatePassword = Password, CaPath = Path.Combine(scratch, "none.pem") }.Load()).Message, StringComparison.Ordinal);
    }

    private async Task<(SiloSettings Settings, IHost Host)> StartSilo(string cluster, TlsSettings tls, int? primary = null)
    {
        var settings = new SiloSettings
        {
            Role = SiloSettings.Coordinator,
            Slots = 0,
            Clustering = "localhost",
            ClusterId = $"tls-{cluster}",
            Storage = $"local:{Path.Combine(scratch, "store-" + cluster)}",
            SiloPort = FreePort(),
            GatewayPort = FreePort(),
            PrimarySiloPort = primary,
            WorkDirectory = Path.Combine(scratch, "work"),
            Tls = tls,
        };
        var host = SiloHosting.BuildSiloHost(settings, configureHost: b => b.Logging.SetMinimumLevel(LogLevel.Warning));
        await host.StartAsync();
        return (settings, host);
    }

    private static async Task Stop(IHost host)
    {
        await host.StopAsync();
        host.Dispose();
    }

    private static Task<ClusterConnection> Connect(SiloSettings silo, TlsSettings tls, TimeSpan? timeout = null) =>
        ClusterConnection.ConnectAsync(new ClusterSettings
        {
            Clustering = "localhost", GatewayPort = silo.GatewayPort, ClusterId = silo.ClusterId, Tls = tls, ConnectTimeout = timeout ?? TimeSpan.FromSeconds(20),
        });

    private static async Task AssertRefused(SiloSettings silo, TlsSettings tls)
    {
        await Assert.ThrowsAsync<ClusterUnreachableException>(() => Connect(silo, tls, TimeSpan.FromSeconds(4)));
    }

    private static async Task WaitFor(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what}");
            await Task.Delay(200);
        }
    }

    private string Pfx(string name, X509Certificate2 certificate)
    {
        string path = Path.Combine(scratch, name + ".pfx");
        File.WriteAllBytes(path, certificate.Export(X509ContentType.Pfx, Password));
        certificate.Dispose();
        return path;
    }

    private static CertificateRequest Request(string subject, ECDsa key, bool authority)
    {
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(authority, false, 0, true));
        if (authority)
        {
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        }
        else
        {
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));
        }
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        return request;
    }

    private static X509Certificate2 SelfSigned(string subject)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return Request(subject, key, authority: false).CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
    }

    private static X509Certificate2 Authority(string subject)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return Request(subject, key, authority: true).CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(365));
    }

    private static X509Certificate2 Issue(X509Certificate2 authority, string subject)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = Request(subject, key, authority: false);
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(authority, true, false));
        using var issued = request.Create(authority, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30), RandomNumberGenerator.GetBytes(8));
        return issued.CopyWithPrivateKey(key);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
