using System.Runtime.InteropServices;

namespace SemiSeg.Storage;

/// <summary>
/// Create-if-absent publication of a finished temp file: of several concurrent publishers of one target exactly one
/// wins, and readers see either no file or the whole file. File.Move(overwrite: false) is not enough on Unix: .NET checks
/// for the target and then renames, so concurrent movers can all "win" (seen under load in the store's contract test).
/// </summary>
internal static partial class ExclusiveFile
{
    private const int EEXIST = 17; // the same value on Linux and macOS

    /// <summary>Publishes <paramref name="temp"/> as <paramref name="target"/>; false when the target already exists.
    /// On a loss the temp file is left in place (to compare contents); the caller deletes it.</summary>
    public static bool TryPublish(string temp, string target)
    {
        if (OperatingSystem.IsWindows())
        {
            // MoveFileEx without MOVEFILE_REPLACE_EXISTING fails atomically when the target exists.
            try
            {
                File.Move(temp, target, overwrite: false);
                return true;
            }
            catch (IOException) when (File.Exists(target))
            {
                return false;
            }
        }
        // link(2) fails with EEXIST if the target exists: the kernel picks one winner, and the target appears whole.
        if (Link(temp, target) == 0)
        {
            return true;
        }
        int error = Marshal.GetLastPInvokeError();
        if (error == EEXIST)
        {
            return false;
        }
        // A file system without hard links: O_CREAT | O_EXCL still picks one winner (its content appears as written).
        try
        {
            using var source = File.OpenRead(temp);
            using var file = new FileStream(target, FileMode.CreateNew, FileAccess.Write, FileShare.None);
            source.CopyTo(file);
            file.Flush(flushToDisk: true);
            return true;
        }
        catch (IOException) when (File.Exists(target))
        {
            return false;
        }
    }

    [LibraryImport("libc", EntryPoint = "link", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Link(string existingPath, string newPath);
}
