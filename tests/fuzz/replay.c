/* make test: every file of the fuzz corpora (tests/fuzz/NAME/) through the
 * harness once, under AddressSanitizer and UBSan: what a fuzzer once found
 * stays fixed. Usage: replay-NAME DIR... (prints how many files ran; fails
 * when there were none, so that an emptied corpus is not a pass). */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv)
{
    size_t files = 0;
    for (int i = 1; i < argc; i++) {
        DIR *d = opendir(argv[i]);
        if (!d) {
            fprintf(stderr, "replay: cannot open %s\n", argv[i]);
            return 1;
        }
        struct dirent *de;
        while ((de = readdir(d))) {
            char path[4096];
            struct stat st;
            snprintf(path, sizeof path, "%s/%s", argv[i], de->d_name);
            if (de->d_name[0] == '.' || stat(path, &st) != 0 || !S_ISREG(st.st_mode)) continue;
            FILE *f = fopen(path, "rb");
            unsigned char *buf = malloc((size_t)st.st_size + 1);
            size_t n = f && buf ? fread(buf, 1, (size_t)st.st_size, f) : 0;
            if (f) fclose(f);
            if (!buf) return 1;
            LLVMFuzzerTestOneInput(buf, n);
            free(buf);
            files++;
        }
        closedir(d);
    }
    printf("%s: %zu corpus files replayed\n", argv[0], files);
    if (!files) fprintf(stderr, "replay: no corpus files in the folders given\n");
    return files ? 0 : 1;
}
