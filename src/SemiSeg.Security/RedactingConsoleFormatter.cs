using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;

namespace SemiSeg.Security;

public sealed class RedactingConsoleFormatterOptions : ConsoleFormatterOptions
{
    /// <summary>The message on the line of its level and category (else on the next line, like the simple format).</summary>
    public bool SingleLine { get; set; }
}

/// <summary>
/// The console log format of every SemiSeg process: the simple format ("info: Category[0] message", exception after
/// it), with <see cref="Secrets.Redact"/> applied to the whole entry, so that no log line, exception message or stack
/// trace (from Orleans, the Azure SDK or Npgsql as much as from our code) prints a key or password.
/// </summary>
public sealed class RedactingConsoleFormatter(IOptionsMonitor<RedactingConsoleFormatterOptions> options) : ConsoleFormatter(FormatterName)
{
    public const string FormatterName = "semiseg-redacting";

    public override void Write<TState>(in LogEntry<TState> logEntry, IExternalScopeProvider? scopeProvider, TextWriter textWriter)
    {
        string? message = logEntry.Formatter?.Invoke(logEntry.State, logEntry.Exception);
        if (message is null && logEntry.Exception is null)
        {
            return;
        }
        var current = options.CurrentValue;
        var entry = new StringBuilder();
        if (current.TimestampFormat is string format)
        {
            var now = current.UseUtcTimestamp ? DateTimeOffset.UtcNow : DateTimeOffset.Now;
            entry.Append(now.ToString(format, CultureInfo.InvariantCulture));
        }
        entry.Append(Level(logEntry.LogLevel)).Append(": ").Append(logEntry.Category)
            .Append('[').Append(logEntry.EventId.Id.ToString(CultureInfo.InvariantCulture)).Append(']');
        string separator = current.SingleLine ? " " : Environment.NewLine + "      ";
        if (!string.IsNullOrEmpty(message))
        {
            entry.Append(separator).Append(message);
        }
        if (logEntry.Exception is not null)
        {
            entry.Append(current.SingleLine ? " " : Environment.NewLine).Append(logEntry.Exception);
        }
        textWriter.Write(Secrets.Redact(entry.ToString()));
        textWriter.Write(Environment.NewLine);
    }

    private static string Level(LogLevel level) => level switch
    {
        LogLevel.Trace => "trce",
        LogLevel.Debug => "dbug",
        LogLevel.Information => "info",
        LogLevel.Warning => "warn",
        LogLevel.Error => "fail",
        LogLevel.Critical => "crit",
        _ => level.ToString().ToLowerInvariant(),
    };
}

public static class RedactingConsoleLogging
{
    /// <summary>Console logging through <see cref="RedactingConsoleFormatter"/> (replaces the console format).</summary>
    public static ILoggingBuilder AddRedactingConsole(this ILoggingBuilder logging, bool singleLine = false) =>
        logging.AddConsole(o => o.FormatterName = RedactingConsoleFormatter.FormatterName)
            .AddConsoleFormatter<RedactingConsoleFormatter, RedactingConsoleFormatterOptions>(o => o.SingleLine = singleLine);
}
