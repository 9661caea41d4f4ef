using SemiSeg.Testing;

namespace SemiSeg.Storage.Tests;

public sealed class ArtifactStoresTests
{
    [Fact]
    public void Local_spec_is_relative_to_the_current_directory()
    {
        var store = Assert.IsType<LocalArtifactStore>(ArtifactStores.Create("local:out/store"));
        Assert.Equal(Path.GetFullPath("out/store"), store.Root);
        Assert.Equal("local:" + Path.GetFullPath("out/store"), store.Location);
    }

    [Fact]
    public void Local_spec_takes_an_absolute_path()
    {
        Assert.Equal("local:/var/semiseg", ArtifactStores.Create("local:/var/semiseg").Location);
    }

    [Fact]
    public void Azure_spec_uses_the_default_container_or_the_named_one()
    {
        Assert.Equal("azure:devstoreaccount1/semiseg", Assert.IsType<AzureBlobArtifactStore>(ArtifactStores.Create("azure:UseDevelopmentStorage=true")).Location);
        Assert.Equal("azure:devstoreaccount1/results-1", ArtifactStores.Create("azure:UseDevelopmentStorage=true;Container=results-1").Location);
    }

    [Fact]
    public void Each_azure_container_has_its_own_grain_state_container_within_the_name_limit()
    {
        Assert.Equal("semiseg-grain-state", ArtifactStores.AzureGrainStateContainer("azure:UseDevelopmentStorage=true"));
        Assert.Equal("results-1-grain-state", ArtifactStores.AzureGrainStateContainer("azure:UseDevelopmentStorage=true;Container=results-1"));
        string a = new('a', 60), b = new string('a', 59) + "b";
        string stateA = ArtifactStores.AzureGrainStateContainer($"azure:UseDevelopmentStorage=true;Container={a}");
        string stateB = ArtifactStores.AzureGrainStateContainer($"azure:UseDevelopmentStorage=true;Container={b}");
        Assert.NotEqual(stateA, stateB);
        Assert.All(new[] { stateA, stateB }, name =>
        {
            Assert.Equal(63, name.Length);
            Assert.EndsWith("-grain-state", name, StringComparison.Ordinal);
            Assert.Matches("^[a-z0-9]([a-z0-9]|-(?!-))*[a-z0-9]$", name);
        });
    }

    [Fact]
    public async Task Azure_spec_with_a_full_connection_string_reaches_azurite()
    {
        string container = Azurite.NewName();
        IArtifactStore store = ArtifactStores.Create($"azure:{Azurite.ConnectionString};Container={container}");
        try
        {
            await store.WriteTextAsync("hello.txt", "from a spec");
            Assert.Equal("from a spec", await store.ReadTextAsync("hello.txt"));
            Assert.Equal($"azure:devstoreaccount1/{container}", store.Location);
        }
        finally
        {
            await new Azure.Storage.Blobs.BlobContainerClient(Azurite.ConnectionString, container).DeleteIfExistsAsync();
        }
    }

    [Theory]
    [InlineData("foo", "storage 'foo': no kind. Fix: use local:PATH or azure:CONNECTION_STRING (optionally ending in ;Container=NAME)")]
    [InlineData("s3:bucket", "storage 's3:bucket': unknown kind 's3'. Fix: use local:PATH or azure:CONNECTION_STRING (optionally ending in ;Container=NAME)")]
    [InlineData("local:", "storage 'local:': the folder is missing. Fix: local:PATH, e.g. local:out/store")]
    [InlineData("azure:", "storage 'azure:': the connection string is missing. Fix: azure:UseDevelopmentStorage=true for Azurite, or azure:CONNECTION_STRING")]
    [InlineData("azure:UseDevelopmentStorage=true;Container=My_Results",
        "storage 'azure:UseDevelopmentStorage=true;Container=My_Results': container name 'My_Results' is invalid. Fix: 3-63 lowercase letters, digits and single hyphens, starting with a letter or digit")]
    public void Bad_specs_name_the_spec_and_the_fix(string spec, string message)
    {
        var error = Assert.Throws<ArgumentException>(() => ArtifactStores.Create(spec));
        Assert.Equal(message + " (Parameter 'spec')", error.Message);
    }

    [Fact]
    public void A_malformed_connection_string_is_reported_with_an_example()
    {
        var error = Assert.Throws<ArgumentException>(() => ArtifactStores.Create("azure:not a connection string"));
        Assert.StartsWith("storage 'azure:not a connection string': invalid connection string (", error.Message, StringComparison.Ordinal);
        Assert.Contains("Fix: azure:UseDevelopmentStorage=true for Azurite, or azure:DefaultEndpointsProtocol=https;AccountName=NAME;AccountKey=KEY", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Error_messages_hide_the_account_key()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            ArtifactStores.Create("azure:DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=c2VjcmV0;Container=x"));
        Assert.Contains("AccountKey=***;Container=x", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("c2VjcmV0", error.Message, StringComparison.Ordinal);
    }
}
