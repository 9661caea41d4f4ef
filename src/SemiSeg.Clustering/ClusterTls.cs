using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Orleans.Connections.Security;
using Orleans.Hosting;

namespace SemiSeg.Clustering;

/// <summary>
/// Mutual TLS for silo-to-silo and client-to-gateway connections: every side presents <see cref="CertificatePath"/> and
/// accepts a peer only if it presents a certificate that is trusted: issued by <see cref="CaPath"/>, or one of
/// <see cref="AllowedThumbprints"/>, or (neither given) the same certificate as its own. Silos and clients of one
/// cluster must all use TLS or none: a plain client cannot connect to a TLS silo and vice versa.
/// </summary>
/// <remarks>Host names are not checked (silos are reached by IP address); the trust anchor is the CA or the pinned
/// certificates. Settings are read from the command line or SEMISEG_TLS_* variables; the password never from the
/// command line.</remarks>
public sealed record TlsSettings
{
    /// <summary>PKCS#12 (.pfx/.p12) file with this side's certificate and private key; null: no TLS.</summary>
    public string? CertificatePath { get; init; }

    /// <summary>The PKCS#12 password (from SEMISEG_TLS_CERTIFICATE_PASSWORD or a password file); null: none.</summary>
    public string? CertificatePassword { get; init; }

    /// <summary>PEM or DER file of the certificate authority (or authorities) whose certificates peers may present.</summary>
    public string? CaPath { get; init; }

    /// <summary>SHA-256 or SHA-1 thumbprints (hex) of the certificates peers may present.</summary>
    public IReadOnlyList<string> AllowedThumbprints { get; init; } = [];

    public bool Enabled => CertificatePath is not null;

    /// <summary>Loads the certificate and the trust anchors; errors name the option and the fix.</summary>
    /// <exception cref="ArgumentException">A file is missing or unreadable, or options are given without a certificate.</exception>
    public TlsTrust Load()
    {
        if (CertificatePath is null)
        {
            throw new ArgumentException("--tls-ca or --tls-allowed-thumbprints was given without --tls-certificate. Fix: give this side's certificate with --tls-certificate PATH.pfx");
        }
        X509Certificate2 certificate;
        try
        {
            certificate = X509CertificateLoader.LoadPkcs12FromFile(CertificatePath, CertificatePassword, X509KeyStorageFlags.EphemeralKeySet);
        }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException)
        {
            throw new ArgumentException($"--tls-certificate: cannot read '{CertificatePath}' ({e.Message}). Fix: give a PKCS#12 file (.pfx) with the certificate and its private key "
                + "(openssl pkcs12 -export -in cert.pem -inkey key.pem -out cert.pfx) and its password in SEMISEG_TLS_CERTIFICATE_PASSWORD or --tls-certificate-password-file");
        }
        if (!certificate.HasPrivateKey)
        {
            throw new ArgumentException($"--tls-certificate: '{CertificatePath}' holds no private key. Fix: export the certificate with its key (openssl pkcs12 -export -inkey key.pem ...)");
        }
        var authorities = new X509Certificate2Collection();
        if (CaPath is not null)
        {
            try
            {
                if (File.ReadAllText(CaPath).Contains("-----BEGIN", StringComparison.Ordinal))
                {
                    authorities.ImportFromPemFile(CaPath); // every certificate in the file (a CA and its intermediates)
                }
                else
                {
                    authorities.Add(X509CertificateLoader.LoadCertificateFromFile(CaPath)); // one DER certificate
                }
                if (authorities.Count == 0)
                {
                    throw new CryptographicException("no certificate in the file");
                }
            }
            catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException)
            {
                throw new ArgumentException($"--tls-ca: cannot read '{CaPath}' ({e.Message}). Fix: give the certificate authority's certificate as a PEM or DER file");
            }
        }
        var thumbprints = AllowedThumbprints.Select(t => t.Replace(":", "", StringComparison.Ordinal).Trim().ToUpperInvariant()).ToHashSet(StringComparer.Ordinal);
        foreach (string thumbprint in thumbprints.Where(t => t.Length is not (40 or 64) || !t.All(Uri.IsHexDigit)))
        {
            throw new ArgumentException($"--tls-allowed-thumbprints: '{thumbprint}' is not a certificate thumbprint. Fix: give SHA-256 (64 hex digits) or SHA-1 (40) thumbprints, comma-separated (openssl x509 -noout -fingerprint -sha256 -in cert.pem)");
        }
        if (authorities.Count == 0 && thumbprints.Count == 0)
        {
            thumbprints.Add(Sha256(certificate)); // a certificate shared by the cluster and its clients
        }
        return new TlsTrust(certificate, authorities, thumbprints);
    }

    internal static string Sha256(X509Certificate2 certificate) => certificate.GetCertHashString(HashAlgorithmName.SHA256);
}

/// <summary>A loaded TLS configuration: this side's certificate and what it trusts in a peer.</summary>
public sealed class TlsTrust(X509Certificate2 certificate, X509Certificate2Collection authorities, IReadOnlySet<string> thumbprints)
{
    public X509Certificate2 Certificate { get; } = certificate;

    /// <summary>Whether a peer's certificate is trusted: pinned by thumbprint, or chaining to a given authority.</summary>
    public bool Accepts(X509Certificate2? peer)
    {
        if (peer is null)
        {
            return false;
        }
        if (thumbprints.Contains(TlsSettings.Sha256(peer)) || thumbprints.Contains(peer.Thumbprint.ToUpperInvariant()))
        {
            return true;
        }
        if (authorities.Count == 0)
        {
            return false;
        }
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(authorities);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(peer);
    }

    /// <summary>Both directions require a certificate; only trusted ones pass (the platform's verdict is replaced:
    /// host names are not checked and the system's roots are not trusted).</summary>
    public void Configure(TlsOptions options)
    {
        options.LocalCertificate = Certificate;
        options.RemoteCertificateMode = RemoteCertificateMode.RequireCertificate;
        options.ClientCertificateMode = RemoteCertificateMode.RequireCertificate;
        options.RemoteCertificateValidation = (peer, _, _) => Accepts(peer);
        options.OnAuthenticateAsClient = (_, client) => client.TargetHost ??= "semiseg";
    }
}

public static class ClusterTlsExtensions
{
    /// <summary>Mutual TLS on this silo's silo and gateway endpoints (nothing when <paramref name="tls"/> is off).</summary>
    public static ISiloBuilder UseSemiSegTls(this ISiloBuilder silo, TlsSettings tls)
    {
        if (tls.Enabled)
        {
            var trust = tls.Load();
            silo.UseTls(trust.Certificate, trust.Configure);
        }
        return silo;
    }

    /// <summary>Mutual TLS on this client's gateway connections (nothing when <paramref name="tls"/> is off).</summary>
    public static IClientBuilder UseSemiSegTls(this IClientBuilder client, TlsSettings tls)
    {
        if (tls.Enabled)
        {
            var trust = tls.Load();
            client.UseTls(trust.Certificate, trust.Configure);
        }
        return client;
    }
}
