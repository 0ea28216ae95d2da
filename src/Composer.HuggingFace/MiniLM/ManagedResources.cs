using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace Composer.Models.MiniLM;

/// <summary>Reads a .NET assembly's embedded (manifest) resources from its file, without loading the assembly.</summary>
internal static class ManagedResources
{
    /// <summary>The bytes of the resource <paramref name="name"/> embedded in the assembly at <paramref name="assemblyPath"/>.</summary>
    /// <exception cref="InvalidDataException">The assembly has no such resource; the message lists the ones it has.</exception>
    public static byte[] Read(string assemblyPath, string name)
    {
        using FileStream file = File.OpenRead(assemblyPath);
        using var pe = new PEReader(file, PEStreamOptions.PrefetchEntireImage);
        MetadataReader metadata = pe.GetMetadataReader();
        var names = new List<string>();
        foreach (ManifestResourceHandle handle in metadata.ManifestResources)
        {
            ManifestResource resource = metadata.GetManifestResource(handle);
            string resourceName = metadata.GetString(resource.Name);
            names.Add(resourceName);
            // Only resources stored in this file (not linked from another) have their bytes here.
            if (resourceName != name || !resource.Implementation.IsNil) continue;
            int start = pe.PEHeaders.CorHeader!.ResourcesDirectory.RelativeVirtualAddress;
            PEMemoryBlock block = pe.GetSectionData(start);
            BlobReader reader = block.GetReader((int)resource.Offset, block.Length - (int)resource.Offset);
            // Each resource is its length (4 bytes, little-endian), then its bytes.
            int length = reader.ReadInt32();
            return reader.ReadBytes(length);
        }
        throw new InvalidDataException(
            $"{Path.GetFileName(assemblyPath)} has no embedded resource '{name}'; it has: {string.Join(", ", names)}.");
    }
}
