namespace SemiSeg.Grains;

/// <summary>
/// A sweep's pending runs in dispatch order: runs that already ran (lost with their silo, failed, or with a checkpoint
/// to resume from) go before runs that never started, so a killed worker's runs continue at the next free slot instead
/// of waiting behind the whole queue. First in, first out within each group.
/// </summary>
public sealed class DispatchQueue
{
    private readonly Queue<string> resumable = new();
    private readonly Queue<string> fresh = new();

    public int Count => resumable.Count + fresh.Count;

    /// <param name="resume">The run ran before: it goes ahead of every run that never started.</param>
    public void Enqueue(string runKey, bool resume)
    {
        (resume ? resumable : fresh).Enqueue(runKey);
    }

    public bool TryDequeue(out string runKey)
    {
        if (resumable.TryDequeue(out string? key) || fresh.TryDequeue(out key))
        {
            runKey = key;
            return true;
        }
        runKey = "";
        return false;
    }

    public void Clear()
    {
        resumable.Clear();
        fresh.Clear();
    }
}
