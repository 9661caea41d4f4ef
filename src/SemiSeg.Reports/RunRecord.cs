namespace SemiSeg.Reports;

/// <summary>Where a run of a sweep stands.</summary>
public enum RunStatus
{
    Pending,
    Running,
    Succeeded,
    Failed,
    Cancelled,
}

/// <summary>
/// One run of a sweep as the reports see it: its cell, seed and axis labels, and, when it succeeded, the report metric
/// (<see cref="Value"/>, in percent, e.g. mIoU from result.json).
/// </summary>
public sealed record RunRecord(
    string RunKey,
    string CellKey,
    int Seed,
    IReadOnlyDictionary<string, string> Labels,
    RunStatus Status,
    double? Value,
    string? Error,
    double? WallSeconds);
