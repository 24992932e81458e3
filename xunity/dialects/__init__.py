"""The three stages of xunity: graph (tensor program), tir (loops), cpu (hardware)."""
