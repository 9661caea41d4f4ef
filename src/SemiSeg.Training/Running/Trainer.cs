namespace SemiSeg.Training.Running;
public static class Trainer { public static RunResult Run(RunRequest r, CancellationToken t = default) => throw new InvalidOperationException(r.ToString() + t); }
