using System.Text.RegularExpressions;

namespace SemiSeg.Security;

/// <summary>
/// Hides secrets in anything shown: connection strings (storage, clustering), messages and log lines. Masks the values
/// of AccountKey, SharedAccessSignature, SharedAccessKey, ClientSecret, Password and Pwd entries (any case, spaces
/// around '=', quoted values included), the <c>sig</c> of SAS query strings and the password of a URL's user info.
/// Everything else is kept, so a redacted spec still says which account, host and container it names.
/// </summary>
public static partial class Secrets
{
    /// <summary>What a hidden value is replaced with.</summary>
    public const string Mask = "***";

    /// <summary><paramref name="text"/> with every secret value replaced by <see cref="Mask"/>.</summary>
    public static string Redact(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string redacted = Password().Replace(text, m => m.Groups["value"].Length == 0 ? m.Value : m.Groups["key"].Value + m.Groups["eq"].Value + Mask);
        redacted = Key().Replace(redacted, m => m.Groups["value"].Length == 0 ? m.Value : m.Groups["key"].Value + m.Groups["eq"].Value + Mask);
        redacted = SasSignature().Replace(redacted, m => m.Groups["key"].Value + "=" + Mask);
        return UserInfoPassword().Replace(redacted, Mask);
    }

    /// <summary>Whether <paramref name="text"/> holds a value that <see cref="Redact"/> would hide.</summary>
    public static bool ContainsSecret(string? text) => text is not null && Redact(text) != text;

    // A password entry (Npgsql): the value runs to the next ';' or line end (a password may hold spaces; over-masking
    // free text is fine), or is quoted with ' or " (a doubled quote escapes one).
    [GeneratedRegex("""(?<![a-z0-9])(?<key>Password|Pwd)(?<eq>\s*=\s*)(?<value>'(?:[^']|'')*'|"(?:[^"]|"")*"|[^;\r\n]*)""",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Password();

    // A key or token entry (base64 or URL characters): the value runs to ';', whitespace or a quote.
    [GeneratedRegex("""\b(?<key>AccountKey|SharedAccessSignature|SharedAccessKey|ClientSecret)(?<eq>\s*=\s*)(?<value>'[^']*'|"[^"]*"|[^;\s'"<>]*)""",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Key();

    // sig=... in a SAS query string (a URL, or the SharedAccessSignature value already masked above).
    [GeneratedRegex("""\b(?<key>sig)=(?<value>[^&;\s"'<>]+)""", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex SasSignature();

    // scheme://user:PASSWORD@host
    [GeneratedRegex("""(?<=\b[a-z][a-z0-9+.-]*://[^/\s:@]*:)[^@\s/]+(?=@)""", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex UserInfoPassword();
}
