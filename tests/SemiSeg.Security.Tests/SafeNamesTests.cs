namespace SemiSeg.Security.Tests;

public sealed class SafeNamesTests
{
    [Theory]
    [InlineData("quickstart")]
    [InlineData("cpu-consistency-variants-fashion-mnist")]
    [InlineData("paper.v2_rerun-3")]
    [InlineData("0")]
    [InlineData("a234567890123456789012345678901234567890123456789012345678901234")] // 64
    public void Safe_sweep_ids_pass(string id)
    {
        Assert.Null(SafeNames.SweepIdProblem(id));
        Assert.Equal(id, SafeNames.CheckSweepId(id));
    }

    [Theory]
    [InlineData(null, "is empty")]
    [InlineData("", "is empty")]
    [InlineData("/etc/cron.d", "must start with a lowercase letter or a digit")]
    [InlineData("..", "must start with a lowercase letter or a digit")]
    [InlineData("../../home", "must start with a lowercase letter or a digit")]
    [InlineData("a/../../b", "may hold only lowercase letters, digits, '.', '_' and '-'")]
    [InlineData("a\\b", "may hold only lowercase letters, digits, '.', '_' and '-'")]
    [InlineData(".hidden", "must start with a lowercase letter or a digit")]
    [InlineData("-rf", "must start with a lowercase letter or a digit")]
    [InlineData("Quickstart", "must start with a lowercase letter or a digit")]
    [InlineData("quickStart", "may hold only lowercase letters, digits, '.', '_' and '-'")]
    [InlineData("two words", "may hold only lowercase letters, digits, '.', '_' and '-'")]
    [InlineData("sw\u00e9ep", "may hold only lowercase letters, digits, '.', '_' and '-'")]
    [InlineData("a\nb", "may hold only lowercase letters, digits, '.', '_' and '-'")]
    [InlineData("a1234567890123456789012345678901234567890123456789012345678901234", "is 65 characters long (at most 64)")]
    public void Unsafe_sweep_ids_are_refused_with_the_reason_and_a_fix(string? id, string problem)
    {
        Assert.Equal(problem, SafeNames.SweepIdProblem(id));
        var error = Assert.Throws<ArgumentException>(() => SafeNames.CheckSweepId(id));
        Assert.StartsWith("sweep id ", error.Message, StringComparison.Ordinal);
        Assert.Contains(problem + ". Fix: use " + SafeNames.SweepIdRule, error.Message, StringComparison.Ordinal);
        Assert.Null(SafeNames.SweepIdProblem(SafeNames.Suggest(id)));
    }

    [Theory]
    [InlineData("My Sweep/1", "my-sweep-1")]
    [InlineData("../../etc", "etc")]
    [InlineData("Fashion_MNIST.v2", "fashion_mnist.v2")]
    [InlineData("", "my-sweep")]
    [InlineData("\u00e9\u00e9", "my-sweep")]
    public void Suggestions_are_valid_ids_close_to_the_given_one(string id, string suggestion) =>
        Assert.Equal(suggestion, SafeNames.Suggest(id));

    [Fact]
    public void Keys_are_32_lowercase_hex_digits()
    {
        Assert.Null(SafeNames.KeyProblem("0123456789abcdef0123456789abcdef"));
        Assert.Equal("0123456789abcdef0123456789abcdef", SafeNames.CheckRunKey("0123456789abcdef0123456789abcdef"));
    }

    [Theory]
    [InlineData(null, "is empty")]
    [InlineData("", "is empty")]
    [InlineData("/tmp/x", "is 6 characters long (keys are 32 lowercase hex digits)")]
    [InlineData("../../../../../../../../../../ab", "is not lowercase hex (keys are 32 lowercase hex digits)")]
    [InlineData("0123456789ABCDEF0123456789ABCDEF", "is not lowercase hex (keys are 32 lowercase hex digits)")]
    [InlineData("0123456789abcdef0123456789abcdeg", "is not lowercase hex (keys are 32 lowercase hex digits)")]
    [InlineData("0123456789abcdef0123456789abcde\u0663", "is not lowercase hex (keys are 32 lowercase hex digits)")] // Arabic-Indic digit
    [InlineData("0123456789abcdef0123456789abcdef0", "is 33 characters long (keys are 32 lowercase hex digits)")]
    public void Other_keys_are_refused(string? key, string problem)
    {
        Assert.Equal(problem, SafeNames.KeyProblem(key));
        Assert.StartsWith("run key ", Assert.Throws<ArgumentException>(() => SafeNames.CheckRunKey(key)).Message, StringComparison.Ordinal);
        Assert.StartsWith("cell key ", Assert.Throws<ArgumentException>(() => SafeNames.CheckCellKey(key)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Values_in_messages_are_escaped_and_truncated()
    {
        Assert.Equal("'a\\u000aerror: forged'", SafeNames.Show("a\nerror: forged"));
        Assert.Equal("'sw\\u00e9ep'", SafeNames.Show("sw\u00e9ep"));
        Assert.Equal("'" + new string('x', 80) + "'...", SafeNames.Show(new string('x', 10_000)));
        Assert.Equal("(null)", SafeNames.Show(null));
    }
}
