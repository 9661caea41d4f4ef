namespace SemiSeg.Security.Tests;

public sealed class SecretsTests
{
    private const string Key = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    [Theory]
    // Azure storage connection strings: any order, any case, spaces, trailing semicolons, an azure: prefix.
    [InlineData($"DefaultEndpointsProtocol=https;AccountName=acct;AccountKey={Key};EndpointSuffix=core.windows.net",
        "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=***;EndpointSuffix=core.windows.net")]
    [InlineData($"azure:AccountKey={Key};AccountName=acct", "azure:AccountKey=***;AccountName=acct")]
    [InlineData($"azure:AccountName=acct;AccountKey={Key};", "azure:AccountName=acct;AccountKey=***;")]
    [InlineData($"azure:AccountName=acct;AccountKey={Key};;Container=results", "azure:AccountName=acct;AccountKey=***;;Container=results")]
    [InlineData($"accountkey={Key}", "accountkey=***")]
    [InlineData($"ACCOUNTKEY = {Key} ; AccountName=a", "ACCOUNTKEY = *** ; AccountName=a")]
    [InlineData($"AccountKey=\"{Key}\";AccountName=a", "AccountKey=***;AccountName=a")]
    [InlineData($"AccountKey='{Key}';AccountName=a", "AccountKey=***;AccountName=a")]
    [InlineData($"store azure:AccountName=a;AccountKey={Key} is down", "store azure:AccountName=a;AccountKey=*** is down")]
    // SAS: in a connection string, and in URLs (sig anywhere in the query).
    [InlineData("BlobEndpoint=https://a.blob.core.windows.net;SharedAccessSignature=sv=2022-11-02&ss=b&srt=co&sp=rl&sig=AbC%2Bd%3D",
        "BlobEndpoint=https://a.blob.core.windows.net;SharedAccessSignature=***")]
    [InlineData("https://a.blob.core.windows.net/c/b?sv=2022-11-02&sig=AbC%2Bd%3D&se=2030-01-01",
        "https://a.blob.core.windows.net/c/b?sv=2022-11-02&sig=***&se=2030-01-01")]
    [InlineData("GET https://a.blob.core.windows.net/c?SIG=xyz", "GET https://a.blob.core.windows.net/c?SIG=***")]
    [InlineData("https://a.blob.core.windows.net/c?sp=r&sig=xyz\"", "https://a.blob.core.windows.net/c?sp=r&sig=***\"")]
    [InlineData("Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=root;SharedAccessKey=abc+def=",
        "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=root;SharedAccessKey=***")]
    // Npgsql: Password or Pwd, any case, quoted values with ';' and doubled quotes, spaces inside a password.
    [InlineData("Host=db;Username=orleans;Password=s3cret;Database=semiseg", "Host=db;Username=orleans;Password=***;Database=semiseg")]
    [InlineData("Host=db;PASSWORD=s3cret", "Host=db;PASSWORD=***")]
    [InlineData("Host=db;pwd=s3cret;Database=x", "Host=db;pwd=***;Database=x")]
    [InlineData("Host=db;Password = two words ;Database=x", "Host=db;Password = ***;Database=x")]
    [InlineData("Host=db;Password='se;cr''et';Database=x", "Host=db;Password=***;Database=x")]
    [InlineData("Host=db;Password=\"se;cr\"\"et\";Database=x", "Host=db;Password=***;Database=x")]
    [InlineData("SEMISEG_TLS_CERTIFICATE_PASSWORD=s3cret", "SEMISEG_TLS_CERTIFICATE_PASSWORD=***")]
    // A URL's user info.
    [InlineData("postgres://orleans:s3cret@db:5432/semiseg", "postgres://orleans:***@db:5432/semiseg")]
    [InlineData("redis://:s3cret@cache:6379", "redis://:***@cache:6379")]
    public void Masks_secret_values_and_keeps_the_rest(string text, string expected)
    {
        Assert.Equal(expected, Secrets.Redact(text));
        Assert.True(Secrets.ContainsSecret(text));
    }

    [Theory]
    [InlineData("UseDevelopmentStorage=true")]
    [InlineData("local:runs/cluster")]
    [InlineData("azure:AccountName=acct;EndpointSuffix=core.windows.net;Container=x")]
    [InlineData("Host=db;Username=orleans;Database=semiseg")]
    [InlineData("Password=")] // nothing to hide
    [InlineData("the signature of a run: sig is not a key here")]
    [InlineData("https://a.blob.core.windows.net/c/b?sv=2022-11-02&se=2030-01-01")]
    [InlineData("--tls-certificate-password-file PATH")]
    [InlineData("dashboard http://127.0.0.1:8080/dashboard, gateway tcp://10.0.0.5:30000")]
    public void Leaves_text_without_secrets_alone(string text)
    {
        Assert.Equal(text, Secrets.Redact(text));
        Assert.False(Secrets.ContainsSecret(text));
    }

    [Fact]
    public void Redaction_is_idempotent_and_masks_every_occurrence()
    {
        string text = $"a AccountKey={Key}; b AccountKey={Key}\nHost=x;Password=p1\nhttps://x/?sig=abc&sig=def";
        string once = Secrets.Redact(text);
        Assert.Equal(once, Secrets.Redact(once));
        Assert.DoesNotContain(Key, once, StringComparison.Ordinal);
        Assert.DoesNotContain("p1", once, StringComparison.Ordinal);
        Assert.DoesNotContain("abc", once, StringComparison.Ordinal);
        Assert.DoesNotContain("def", once, StringComparison.Ordinal);
    }

    [Fact]
    public void A_password_masks_to_the_end_of_its_entry_even_with_a_quote_inside()
    {
        // Unquoted values run to ';' or the line's end: "too much hidden" is the safe side.
        Assert.Equal("Password=***\nnext line", Secrets.Redact("Password=ab\"c d'e\nnext line"));
    }
}
