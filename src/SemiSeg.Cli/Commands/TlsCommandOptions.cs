using System.CommandLine;
using SemiSeg.Clustering;

namespace SemiSeg.Cli.Commands;

/// <summary>
/// The TLS options of <c>semiseg silo</c> and of the client verbs (each also read from a SEMISEG_TLS_* variable). The
/// certificate's password is never a command-line argument (it would show in ps): it comes from
/// SEMISEG_TLS_CERTIFICATE_PASSWORD or from the file given by --tls-certificate-password-file.
/// </summary>
public sealed class TlsCommandOptions
{
    public const string PasswordVariable = "SEMISEG_TLS_CERTIFICATE_PASSWORD";

    public Option<string?> Certificate { get; } = SiloCommand.Env(new Option<string?>("--tls-certificate")
    {
        Description = "Mutual TLS: this side's certificate and key (PKCS#12 .pfx); silos and clients of the cluster must all use TLS; env SEMISEG_TLS_CERTIFICATE",
    }, "SEMISEG_TLS_CERTIFICATE", null);

    public Option<string?> PasswordFile { get; } = SiloCommand.Env(new Option<string?>("--tls-certificate-password-file")
    {
        Description = $"A file holding the .pfx password (or set {PasswordVariable}); env SEMISEG_TLS_CERTIFICATE_PASSWORD_FILE",
    }, "SEMISEG_TLS_CERTIFICATE_PASSWORD_FILE", null);

    public Option<string?> Ca { get; } = SiloCommand.Env(new Option<string?>("--tls-ca")
    {
        Description = "Trust peers whose certificate this CA issued (PEM or DER); default: only peers with the same certificate; env SEMISEG_TLS_CA",
    }, "SEMISEG_TLS_CA", null);

    public Option<string?> AllowedThumbprints { get; } = SiloCommand.Env(new Option<string?>("--tls-allowed-thumbprints")
    {
        Description = "Trust peers with these certificates: SHA-256 (or SHA-1) thumbprints, comma-separated; env SEMISEG_TLS_ALLOWED_THUMBPRINTS",
    }, "SEMISEG_TLS_ALLOWED_THUMBPRINTS", null);

    public IEnumerable<Option> All => [Certificate, PasswordFile, Ca, AllowedThumbprints];

    public void AddTo(Command command)
    {
        foreach (var option in All)
        {
            command.Options.Add(option);
        }
    }

    /// <exception cref="ArgumentException">Trust options without a certificate, or an unreadable password file.</exception>
    public TlsSettings Read(ParseResult parse)
    {
        string? certificate = parse.GetValue(Certificate);
        string? ca = parse.GetValue(Ca);
        string[] thumbprints = (parse.GetValue(AllowedThumbprints) ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (certificate is null && (ca is not null || thumbprints.Length > 0))
        {
            throw new ArgumentException("--tls-ca and --tls-allowed-thumbprints need --tls-certificate. Fix: give this side's certificate with --tls-certificate PATH.pfx (or drop the TLS options)");
        }
        string? password = Environment.GetEnvironmentVariable(PasswordVariable);
        if (parse.GetValue(PasswordFile) is string file)
        {
            try
            {
                password = File.ReadAllText(file).TrimEnd('\r', '\n');
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new ArgumentException($"--tls-certificate-password-file: cannot read '{file}' ({e.Message}). Fix: give a readable file holding only the password");
            }
        }
        return new TlsSettings { CertificatePath = certificate, CertificatePassword = password, CaPath = ca, AllowedThumbprints = thumbprints };
    }
}
