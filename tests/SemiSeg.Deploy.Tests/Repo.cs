namespace SemiSeg.Deploy.Tests;

/// <summary>The repository root (the folder holding SemiSegOrleans.sln), found from the test assembly's folder.</summary>
public static class Repo
{
    public static string Root { get; } = Find();

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "SemiSegOrleans.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("SemiSegOrleans.sln not found above " + AppContext.BaseDirectory);
    }

    public static string Read(string relative) => File.ReadAllText(Path.Combine(Root, relative));
}
