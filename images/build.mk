# images/build.mk: `make image` builds the guest image into $(B)/image (needs
# root and the Debian mirror; cached, so a second run without changes is instant).
image: all
	./images/build-image.sh $(B)/image

.PHONY: image
