using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace SemiSeg.Security.Tests;

public sealed class RedactingConsoleFormatterTests
{
    private static string Format(LogLevel level, string message, Exception? exception, bool singleLine)
    {
        var options = new OptionsMonitorStub(new RedactingConsoleFormatterOptions { SingleLine = singleLine });
        var formatter = new RedactingConsoleFormatter(options);
        var writer = new StringWriter();
        var entry = new LogEntry<string>(level, "Orleans.Storage", new EventId(7), message, exception, (s, _) => s);
        formatter.Write(entry, null, writer);
        return writer.ToString();
    }

    [Fact]
    public void Messages_and_exceptions_are_redacted()
    {
        var error = new InvalidOperationException("cannot open AccountName=a;AccountKey=c2VjcmV0a2V5;EndpointSuffix=x");
        string text = Format(LogLevel.Warning, "store azure:AccountName=a;AccountKey=c2VjcmV0a2V5 unreachable (Host=db;Password=pw1)", error, singleLine: false);

        Assert.DoesNotContain("c2VjcmV0a2V5", text, StringComparison.Ordinal);
        Assert.DoesNotContain("pw1", text, StringComparison.Ordinal);
        Assert.StartsWith("warn: Orleans.Storage[7]" + Environment.NewLine + "      store azure:AccountName=a;AccountKey=*** unreachable", text, StringComparison.Ordinal);
        Assert.Contains("System.InvalidOperationException: cannot open AccountName=a;AccountKey=***;EndpointSuffix=x", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Single_line_keeps_level_category_and_message_together()
    {
        Assert.Equal("fail: Orleans.Storage[7] Password=***" + Environment.NewLine, Format(LogLevel.Error, "Password=hunter2", null, singleLine: true));
    }

    private sealed class OptionsMonitorStub(RedactingConsoleFormatterOptions value) : IOptionsMonitor<RedactingConsoleFormatterOptions>
    {
        public RedactingConsoleFormatterOptions CurrentValue => value;

        public RedactingConsoleFormatterOptions Get(string? name) => value;

        public IDisposable? OnChange(Action<RedactingConsoleFormatterOptions, string?> listener) => null;
    }
}
