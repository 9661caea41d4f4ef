using System.Text.RegularExpressions;
using Azure.Storage.Blobs;
using SemiSeg.Security;

namespace SemiSeg.Storage;

/// <summary>Creates a store from a spec string: <c>local:PATH</c> or <c>azure:CONNECTION_STRING</c>.</summary>
public static partial class ArtifactStores
{
    /// <summary>The container used when an azure spec names none.</summary>
    public const string DefaultContainer = "semiseg";

    private const string Fix = "Fix: use local:PATH or azure:CONNECTION_STRING (optionally ending in ;Container=NAME)";

    /// <summary>
    /// <c>local:PATH</c>: a folder, relative to the current directory unless absolute.
    /// <c>azure:CONNECTION_STRING</c>: a blob container (default <see cref="DefaultContainer"/>; a <c>Container=NAME</c>
    /// entry in the connection string picks another and is removed before the string reaches the SDK), e.g.
    /// <c>azure:UseDevelopmentStorage=true</c> for Azurite. Remote calls go through <see cref="StoreResilience"/>.
    /// </summary>
    /// <param name="time">The clock for the resilience pipeline (tests pass a fake one).</param>
    /// <param name="resilience">Retry, timeout and breaker settings for a remote store; defaults when null.</param>
    /// <exception cref="ArgumentException">The spec is malformed; the message names it (secrets hidden) and the fix.</exception>
    public static IArtifactStore Create(string spec, TimeProvider? time = null, StoreResilienceOptions? resilience = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        int colon = spec.IndexOf(':', StringComparison.Ordinal);
        string kind = colon < 0 ? "" : spec[..colon];
        string value = colon < 0 ? "" : spec[(colon + 1)..].Trim();
        if (kind.Equals("local", StringComparison.OrdinalIgnoreCase))
        {
            if (value.Length == 0)
                throw Bad(spec, "the folder is missing. Fix: local:PATH, e.g. local:out/store");
            return new LocalArtifactStore(value);
        }
        if (kind.Equals("azure", StringComparison.OrdinalIgnoreCase))
        {
            var (connection, container) = SplitContainer(spec, value);
            BlobServiceClient service;
            try
            {
                service = new BlobServiceClient(connection, AzureBlobArtifactStore.CreateClientOptions());
            }
            catch (Exception e) when (e is FormatException or ArgumentException or InvalidOperationException)
            {
                throw Bad(spec, $"invalid connection string ({Secrets.Redact(e.Message)}). Fix: azure:UseDevelopmentStorage=true for Azurite, "
                    + "or azure:DefaultEndpointsProtocol=https;AccountName=NAME;AccountKey=KEY;EndpointSuffix=core.windows.net");
            }
            return new AzureBlobArtifactStore(service.GetBlobContainerClient(container),
                StoreResilience.Create(resilience, time));
        }
        throw Bad(spec, colon < 0 ? $"no kind. {Fix}" : $"unknown kind '{kind}'. {Fix}");
    }

    /// <summary>The connection string of an <c>azure:</c> spec without its <c>Container=</c> entry (for the grain
    /// state and membership clients, which share the storage account).</summary>
    public static string AzureConnectionString(string spec) => SplitContainer(spec, spec[(spec.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim()).Connection;

    /// <summary>
    /// The grain-state container that goes with an <c>azure:</c> spec: <c>CONTAINER-grain-state</c> (the default container
    /// gives <c>semiseg-grain-state</c>). Orleans names grain-state blobs by grain id only, so clusters that share an
    /// account but not a store container must not share a grain-state container either (their sweep directories would
    /// overwrite each other); with <c>local:</c> storage the grain state likewise lives under the store's folder.
    /// </summary>
    public static string AzureGrainStateContainer(string spec)
    {
        string container = SplitContainer(spec, spec[(spec.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim()).Container;
        const string Suffix = "-grain-state";
        if (container.Length + Suffix.Length <= 63)
            return container + Suffix;
        // Too long for the 63-character limit: a prefix plus a hash of the whole name keeps it unique.
        string hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(container)))[..8];
        return container[..(63 - Suffix.Length - hash.Length - 1)].TrimEnd('-') + "-" + hash + Suffix;
    }

    /// <summary>Removes a <c>Container=NAME</c> entry from the connection string and validates the name.</summary>
    private static (string Connection, string Container) SplitContainer(string spec, string connection)
    {
        string container = DefaultContainer;
        var kept = new List<string>();
        foreach (string entry in connection.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (entry.StartsWith("Container=", StringComparison.OrdinalIgnoreCase))
                container = entry["Container=".Length..];
            else
                kept.Add(entry);
        }
        if (kept.Count == 0)
            throw Bad(spec, "the connection string is missing. Fix: azure:UseDevelopmentStorage=true for Azurite, or azure:CONNECTION_STRING");
        if (!ContainerName().IsMatch(container) || container.Contains("--", StringComparison.Ordinal))
        {
            throw Bad(spec, $"container name '{container}' is invalid. "
                + "Fix: 3-63 lowercase letters, digits and single hyphens, starting with a letter or digit");
        }
        return (string.Join(';', kept), container);
    }

    private static ArgumentException Bad(string spec, string problem) =>
        new($"storage '{Secrets.Redact(spec)}': {problem}", nameof(spec));

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")]
    private static partial Regex ContainerName();
}
