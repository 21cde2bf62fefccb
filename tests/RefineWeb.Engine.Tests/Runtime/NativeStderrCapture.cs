using System.Runtime.InteropServices;

namespace RefineWeb.Engine.Tests.Runtime;

/// <summary>Captures what native code writes to file descriptor 2 (libtorch warns on std::cerr, not Console.Error).</summary>
static partial class NativeStderrCapture
{
    [LibraryImport("libc", SetLastError = true)] private static partial int dup(int fd);
    [LibraryImport("libc", SetLastError = true)] private static partial int dup2(int oldFd, int newFd);
    [LibraryImport("libc")] private static partial int fflush(IntPtr stream);

    public static string Run(Action action)
    {
        var path = Path.GetTempFileName();
        int saved = dup(2);
        try
        {
            using (var file = File.Open(path, FileMode.Truncate, FileAccess.Write, FileShare.ReadWrite))
            {
                dup2((int)file.SafeFileHandle.DangerousGetHandle(), 2);
                try
                {
                    action();
                }
                finally
                {
                    fflush(IntPtr.Zero);
                    dup2(saved, 2);
                }
            }
            return File.ReadAllText(path);
        }
        finally
        {
            close(saved);
            File.Delete(path);
        }
    }

    [LibraryImport("libc")] private static partial int close(int fd);
    [LibraryImport("libc")] private static partial nint write(int fd, byte[] buffer, nint count);

    /// <summary>Writes to file descriptor 2 as native code does, bypassing Console.Error.</summary>
    public static void WriteNative(string text)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(text);
        write(2, bytes, bytes.Length);
    }
}
