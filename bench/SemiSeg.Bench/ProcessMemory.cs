namespace SemiSeg.Bench;

/// <summary>Resident memory of this process from /proc (Linux): current (VmRSS) and peak (VmHWM), in MiB.</summary>
public static class ProcessMemory
{
    public static double ResidentMiB() => Read("VmRSS:");

    public static double PeakMiB() => Read("VmHWM:");

    /// <summary>Resets the peak (VmHWM) to the current resident size: "5" written to /proc/self/clear_refs.</summary>
    public static void ResetPeak() => File.WriteAllText("/proc/self/clear_refs", "5");

    private static double Read(string key)
    {
        string line = File.ReadLines("/proc/self/status").First(l => l.StartsWith(key, StringComparison.Ordinal));
        return long.Parse(line[key.Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) / 1024.0;
    }
}
