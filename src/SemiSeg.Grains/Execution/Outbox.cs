using System.Text.Json;
using System.Text.Json.Serialization;
using SemiSeg.Security;

namespace SemiSeg.Grains.Execution;

/// <summary>
/// What a finished attempt still has to deliver: its outcome for the run grain, the local files to upload into
/// runs/KEY/attempt-N/ and its newest checkpoint. Kept in the worker's outbox until the store and the run grain took
/// it, so a training that finished while storage was away is delivered when it is back, also after a worker restart.
/// </summary>
public sealed record OutboxEntry(
    [property: JsonPropertyName("sweep")] string SweepId,
    [property: JsonPropertyName("run")] string RunKey,
    [property: JsonPropertyName("attempt")] int Attempt,
    [property: JsonPropertyName("state")] RunState State,
    [property: JsonPropertyName("result")] string? ResultJson,
    [property: JsonPropertyName("error")] string? Error,
    [property: JsonPropertyName("files")] IReadOnlyList<string> Files,
    [property: JsonPropertyName("checkpoint")] string? Checkpoint,
    [property: JsonPropertyName("checkpoint_step")] int? CheckpointStep)
{
    public AttemptEnd End => new(Attempt, State, ResultJson, Error);
}

/// <summary>The outbox folder of a worker (WORK/outbox): one JSON file per undelivered attempt, written atomically.</summary>
public sealed class Outbox(string workDirectory)
{
    private static readonly JsonSerializerOptions Json = new() { Converters = { new JsonStringEnumConverter() } };

    public string Folder { get; } = Path.Combine(Path.GetFullPath(workDirectory), "outbox");

    public void Save(OutboxEntry entry)
    {
        Directory.CreateDirectory(Folder);
        string path = PathOf(entry);
        string temp = path + ".tmp";
        File.WriteAllText(temp, JsonSerializer.Serialize(entry, Json));
        File.Move(temp, path, overwrite: true);
    }

    public void Remove(OutboxEntry entry) => File.Delete(PathOf(entry));

    /// <summary>The entries left by an earlier run of this worker; a file that cannot be read is reported and skipped.</summary>
    public List<OutboxEntry> Load(Action<string, Exception> unreadable)
    {
        var entries = new List<OutboxEntry>();
        if (!Directory.Exists(Folder))
        {
            return entries;
        }
        foreach (string file in Directory.EnumerateFiles(Folder, "*.json").Order(StringComparer.Ordinal))
        {
            try
            {
                var entry = JsonSerializer.Deserialize<OutboxEntry>(File.ReadAllText(file), Json) ?? throw new JsonException("the file holds null");
                if (SafeNames.KeyProblem(entry.RunKey) is string problem)
                {
                    throw new JsonException(problem);
                }
                if (PathOf(entry) != file)
                {
                    throw new JsonException($"it names run {entry.RunKey} attempt {entry.Attempt}, which is not its file name");
                }
                entries.Add(entry);
            }
            catch (Exception e) when (e is JsonException or IOException or NotSupportedException)
            {
                unreadable(file, e);
            }
        }
        return entries;
    }

    private string PathOf(OutboxEntry entry) => Path.Combine(Folder, $"{entry.RunKey}.attempt-{entry.Attempt}.json");
}
