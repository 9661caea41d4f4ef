using System.Collections.Concurrent;
using System.Security.Cryptography;
using SemiSeg.Training.Config;
using static TorchSharp.torch;

namespace SemiSeg.Training.Models;

/// <summary>
/// <c>model.pretrained_encoder</c>: which encoder variant and input standardisation the weights need, where the file
/// is, its SHA-256 (part of every run's content key), and loading it.
/// </summary>
/// <remarks>
/// A name (<see cref="PretrainedEncoderNames.ImageNetResNet18"/>) has a fixed file and hash: the file comes with NuGet
/// restore and the build copies it next to the assemblies, so every machine that builds or runs the published CLI
/// (workers' images included) has it. A file path is hashed where the run is submitted
/// (<see cref="Pin(ModelConfig)"/>); the trainer hashes the file it actually loads and refuses one that differs, so
/// a run key always names the weights it was trained from.
/// </remarks>
public static class PretrainedEncoders
{
    private const string ConfigKey = "model.pretrained_encoder";

    private static readonly ConcurrentDictionary<(string Path, long Length, DateTime Modified), string> FileHashes = new();

    /// <summary>The ResNet-18 encoder the weights fit: the ONNX graph's variant (three stage-4 blocks, start-heavy
    /// padding) for imagenet-resnet18, torchvision's otherwise. Chosen by the weights' name, so a config never has to
    /// say it twice.</summary>
    public static ResNet ResNet18For(ModelConfig model) =>
        model.PretrainedEncoder == PretrainedEncoderNames.ImageNetResNet18 ? ResNet.ImageNetOnnxResNet18() : ResNet.ResNet18();

    /// <summary>The input standardisation the weights were trained with: the ONNX graph's preprocessing for
    /// imagenet-resnet18; vidlu's Cityscapes statistics otherwise (what the paper used with torchvision weights).</summary>
    public static InputStandardization StandardizationFor(ModelConfig model) =>
        model.PretrainedEncoder == PretrainedEncoderNames.ImageNetResNet18 ? ImageNetResNet18Onnx.Standardization() : InputStandardization.Cityscapes();

    /// <summary>Fills <see cref="ModelConfig.PretrainedEncoderSha256"/> where the run is submitted: the fixed hash of
    /// a name, or the hash of the file at the path. A given hash is kept (the workers check it).</summary>
    /// <exception cref="ConfigException">A name with a different hash, or a file that is not here and has no hash.</exception>
    public static void Pin(ModelConfig model)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.PretrainedEncoder is not string weights)
            return;
        if (weights == PretrainedEncoderNames.ImageNetResNet18)
        {
            if (model.PretrainedEncoderSha256 is string given && given != ImageNetResNet18Onnx.Sha256)
            {
                throw new ConfigException(null, null, "model.pretrained_encoder_sha256",
                    $"{weights} is the file with SHA-256 {ImageNetResNet18Onnx.Sha256}, not {given}", "remove the field (a name has a fixed hash)");
            }
            model.PretrainedEncoderSha256 = ImageNetResNet18Onnx.Sha256;
            return;
        }
        if (model.PretrainedEncoderSha256 is not null)
            return;
        if (!File.Exists(weights))
        {
            throw new ConfigException(null, null, ConfigKey,
                $"the file '{weights}' does not exist on this machine, so its SHA-256 (part of the run key) cannot be computed",
                "give the path of a .pth, .safetensors or TorchSharp state-dict file (relative paths are relative to the working directory), " +
                "or, if only the workers have it, set model.pretrained_encoder_sha256 to the output of 'sha256sum FILE'");
        }
        model.PretrainedEncoderSha256 = Sha256OfFile(weights);
    }

    /// <summary>Loads the weights <paramref name="model"/> names into <paramref name="encoder"/> after checking the
    /// file's hash against the pinned one. Every failure is a <see cref="ModelConfigException"/> with the fix.</summary>
    public static void Load(nn.Module encoder, ModelConfig model)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        ArgumentNullException.ThrowIfNull(model);
        if (model.PretrainedEncoder is not string weights)
            return;
        if (weights == PretrainedEncoderNames.ImageNetResNet18)
        {
            string onnx = LocateImageNetResNet18(DefaultSearchPaths());
            var state = LoadConvertedImageNetResNet18(onnx, CacheDirectory());
            try
            {
                PretrainedWeights.Apply(encoder, state, onnx);
            }
            finally
            {
                foreach (var t in state.Values)
                    t.Dispose();
            }
            return;
        }
        if (!File.Exists(weights))
        {
            throw new ModelConfigException(
                $"{ConfigKey}: the file '{weights}' does not exist on this machine ({Environment.MachineName}, working directory " +
                $"{Environment.CurrentDirectory}). Fix: copy the weights file to that path on every worker (the same file: its " +
                "SHA-256 is part of the run key), or use an absolute path that every worker has.");
        }
        string actual = Sha256OfFile(weights);
        if (model.PretrainedEncoderSha256 is string pinned && pinned != actual)
        {
            throw new ModelConfigException(
                $"{ConfigKey}: '{weights}' on this machine has SHA-256 {actual}, but the run was submitted with {pinned} " +
                "(model.pretrained_encoder_sha256: the submitting machine's copy, or the config's value). Fix: put the same " +
                "file at that path on this machine, or resubmit with this file (or its hash).");
        }
        PretrainedWeights.Load(encoder, weights);
    }

    /// <summary>Where the ImageNet ResNet-18 file may be: next to the assemblies (copied by the build and by publish),
    /// then in the NuGet global packages folder (NUGET_PACKAGES, else ~/.nuget/packages).</summary>
    public static IReadOnlyList<string> DefaultSearchPaths()
    {
        string packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } configured
            ? configured
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        return
        [
            Path.Combine(AppContext.BaseDirectory, ImageNetResNet18Onnx.PathInOutput),
            Path.Combine(packages, ImageNetResNet18Onnx.PackageId.ToLowerInvariant(), ImageNetResNet18Onnx.PackageVersion, ImageNetResNet18Onnx.PathInPackage),
        ];
    }

    /// <summary>The first of <paramref name="candidates"/> that exists and has the package file's hash.</summary>
    /// <exception cref="ModelConfigException">No candidate exists (the error says how to get the file), or the first
    /// that exists is damaged.</exception>
    public static string LocateImageNetResNet18(IReadOnlyList<string> candidates)
    {
        string? found = candidates.FirstOrDefault(File.Exists);
        if (found is null)
        {
            throw new ModelConfigException(
                $"{ConfigKey}: {PretrainedEncoderNames.ImageNetResNet18} needs ResNet18.onnx from the NuGet package " +
                $"{ImageNetResNet18Onnx.PackageId} {ImageNetResNet18Onnx.PackageVersion}, which this machine " +
                $"({Environment.MachineName}) lacks; looked at {string.Join(" and ", candidates.Select(c => $"'{c}'"))}. Fix: build " +
                "semiseg on this machine from the repository (dotnet build src/SemiSeg.Cli: NuGet restore downloads the package " +
                "and the build copies the file next to semiseg.dll), or rebuild the worker image from deploy/Dockerfile; or " +
                $"copy {ImageNetResNet18Onnx.PathInPackage} from that package to '{candidates[0]}'.");
        }
        string actual = Sha256OfFile(found);
        if (actual != ImageNetResNet18Onnx.Sha256)
        {
            throw new ModelConfigException(
                $"{ConfigKey}: '{found}' is not the ResNet18.onnx of {ImageNetResNet18Onnx.PackageId} {ImageNetResNet18Onnx.PackageVersion} " +
                $"(SHA-256 {actual}, expected {ImageNetResNet18Onnx.Sha256}). Fix: delete the damaged file and build again to restore it.");
        }
        return found;
    }

    /// <summary>The converted state dict of the ONNX file (whose hash the caller has checked), from the cache when a
    /// conversion of the same content is there; a new conversion is written to it as temp file + rename, so concurrent
    /// trainers never read a half-written file. An unwritable cache only costs the conversion's time.</summary>
    internal static Dictionary<string, Tensor> LoadConvertedImageNetResNet18(string onnxPath, string cacheDirectory)
    {
        string cached = Path.Combine(cacheDirectory,
            $"imagenet-resnet18-{ImageNetResNet18Onnx.Sha256[..16]}-converter{ImageNetResNet18Onnx.ConverterVersion}.dat");
        if (File.Exists(cached))
        {
            try
            {
                return PretrainedWeights.ReadStateDict(cached);
            }
            catch (ModelConfigException)
            {
                // A damaged cache entry is replaced below.
            }
        }
        var state = ImageNetResNet18Onnx.Convert(onnxPath);
        try
        {
            Directory.CreateDirectory(cacheDirectory);
            PretrainedWeights.WriteStateDict(cached, state);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Not cached: the next run converts again.
        }
        return state;
    }

    /// <summary>SEMISEG_CACHE_DIR, else $XDG_CACHE_HOME/semiseg, else ~/.cache/semiseg; converted weights go into its
    /// pretrained/ folder.</summary>
    public static string CacheDirectory()
    {
        string root = Environment.GetEnvironmentVariable("SEMISEG_CACHE_DIR") is { Length: > 0 } configured ? configured
            : Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg ? Path.Combine(xdg, "semiseg")
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "semiseg");
        return Path.Combine(root, "pretrained");
    }

    /// <summary>Lowercase hex SHA-256 of a file, remembered per (path, length, modification time).</summary>
    public static string Sha256OfFile(string path)
    {
        var info = new FileInfo(path);
        return FileHashes.GetOrAdd((info.FullName, info.Length, info.LastWriteTimeUtc), _ =>
        {
            using var stream = File.OpenRead(path);
            return Convert.ToHexStringLower(SHA256.HashData(stream));
        });
    }
}
