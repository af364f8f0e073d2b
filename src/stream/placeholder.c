/* Placeholder until the layer has its first source file. */
typedef int xsri_stream_placeholder;
